import Mustache

/// HTML written by code: literal markup, and text escaped for element content and quoted attribute values
/// (`&`, `<`, `>`, `"` and `'`, as swift-mustache escapes `{{…}}`; tested against it). Used where a
/// template would be too slow (see docs/decisions/0002-html-written-in-code.md).
struct HTMLText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// `text` escaped; the same string when it has nothing to escape (most text).
    static func escaped(_ text: String) -> String {
        var text = text
        let clean = text.withUTF8 { utf8 in
            !utf8.contains { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }
        }
        if clean { return text }
        var html = HTMLText(capacity: text.utf8.count + 16)
        html.text(text)
        return html.html
    }

    var html: String { String(decoding: bytes, as: UTF8.self) }

    /// Markup as it is (only ever literals of our own).
    mutating func raw(_ markup: StaticString) {
        markup.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Text, escaped.
    mutating func text(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let replacement: StaticString
                switch utf8[index] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                replacement.withUTF8Buffer { bytes.append(contentsOf: $0) }
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
    }
}

/// The pages' escaping for `{{…}}` in the templates (`{{% CONTENT_TYPE: MERKISTO_HTML}}`): the same as
/// swift-mustache's HTML escaping, byte for byte (tested), without its per-character dictionary lookups.
struct PageHTMLContentType: MustacheContentType {
    static let name = "MERKISTO_HTML"

    func escapeText(_ text: String) -> String { HTMLText.escaped(text) }
}
