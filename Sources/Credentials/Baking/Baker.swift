public import Foundation

/// Bakes a credential into a badge image and reads it back (Open Badges Baking: PNG `iTXt`, SVG element).
///
/// OB 2.0 uses the PNG keyword `openbadges` and `<openbadges:assertion>` in namespace
/// `http://openbadges.org`; OB 3.0 uses `openbadgecredential` and `<openbadges:credential>` in
/// `https://purl.imsglobal.org/ob/v3p0`. A compact JWS goes in the `verify` attribute; JSON goes in CDATA
/// (with the assertion URL in `verify` for OB 2.0 hosted badges).
public enum Baker {
    public enum Version: Sendable {
        case ob2
        case ob3

        var pngKeyword: String { self == .ob2 ? "openbadges" : "openbadgecredential" }
        var svgNamespace: String { self == .ob2 ? "http://openbadges.org" : "https://purl.imsglobal.org/ob/v3p0" }
        var svgElement: String { self == .ob2 ? "assertion" : "credential" }
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Which Open Badges version a credential text is (from its JSON-LD context).
    public static func version(of credential: String) -> Version {
        let trimmed = credential.trimmingCharacters(in: .whitespacesAndNewlines)
        var json = trimmed
        if !trimmed.hasPrefix("{") {
            let parts = trimmed.split(separator: ".")
            if parts.count == 3, let payload = Base64URL.decode(parts[1]) { json = String(decoding: payload, as: UTF8.self) }
        }
        return json.contains("https://w3id.org/openbadges/v2") ? .ob2 : .ob3
    }

    /// Bakes into a PNG or an SVG (by the image's content).
    public static func bake(_ credential: String, into image: Data) throws -> Data {
        let version = version(of: credential)
        if image.starts(with: pngSignature) { return try bakePNG(credential, into: image, version: version) }
        guard let text = String(data: image, encoding: .utf8), text.contains("<svg") else {
            throw CredentialError.invalidInput("the image is neither a PNG nor an SVG")
        }
        return Data(try bakeSVG(credential, into: text, version: version).utf8)
    }

    /// The baked credential of a PNG or SVG, or nil when there is none.
    public static func unbake(_ image: Data) throws -> String? {
        if image.starts(with: pngSignature) { return try unbakePNG(image) }
        guard let text = String(data: image, encoding: .utf8), text.contains("<svg") else {
            throw CredentialError.invalidInput("the file is neither a PNG nor an SVG")
        }
        return unbakeSVG(text)
    }

    // MARK: PNG

    private struct Chunk {
        var type: String
        var data: [UInt8]
    }

    private static func chunks(_ png: Data) throws -> [Chunk] {
        let bytes = [UInt8](png)
        var chunks: [Chunk] = []
        var offset = pngSignature.count
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 0, offset + 12 + length <= bytes.count else { throw CredentialError.invalidInput("the PNG is truncated") }
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let data = Array(bytes[offset + 8..<offset + 8 + length])
            let crc = bytes[offset + 8 + length..<offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard crc == CRC32.checksum(Array(bytes[offset + 4..<offset + 8]) + data) else {
                throw CredentialError.invalidInput("the PNG chunk \(type) has a bad checksum")
            }
            chunks.append(Chunk(type: type, data: data))
            offset += 12 + length
            if type == "IEND" { break }
        }
        guard chunks.first?.type == "IHDR", chunks.last?.type == "IEND" else { throw CredentialError.invalidInput("not a complete PNG") }
        return chunks
    }

    private static func encode(_ chunks: [Chunk]) -> Data {
        var out = pngSignature
        for chunk in chunks {
            let length = UInt32(chunk.data.count)
            out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            let typeAndData = Array(chunk.type.utf8) + chunk.data
            out += typeAndData
            let crc = CRC32.checksum(typeAndData)
            out += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        }
        return Data(out)
    }

    /// The keyword of an iTXt chunk and its uncompressed text.
    private static func iTXt(_ data: [UInt8]) -> (keyword: String, text: String)? {
        guard let keywordEnd = data.firstIndex(of: 0), keywordEnd + 2 < data.count, data[keywordEnd + 1] == 0 else { return nil }
        var index = keywordEnd + 3
        guard let languageEnd = data[index...].firstIndex(of: 0) else { return nil }
        index = languageEnd + 1
        guard let translatedEnd = data[index...].firstIndex(of: 0) else { return nil }
        return (String(decoding: data[..<keywordEnd], as: UTF8.self), String(decoding: data[(translatedEnd + 1)...], as: UTF8.self))
    }

    static func bakePNG(_ credential: String, into png: Data, version: Version) throws -> Data {
        var chunks = try chunks(png).filter { chunk in
            !(chunk.type == "iTXt" && ["openbadges", "openbadgecredential"].contains(iTXt(chunk.data)?.keyword ?? ""))
        }
        let text = Array(version.pngKeyword.utf8) + [0, 0, 0, 0, 0] + Array(credential.utf8)
        chunks.insert(Chunk(type: "iTXt", data: text), at: 1)
        return encode(chunks)
    }

    static func unbakePNG(_ png: Data) throws -> String? {
        for chunk in try chunks(png) where chunk.type == "iTXt" {
            if let entry = iTXt(chunk.data), entry.keyword == "openbadges" || entry.keyword == "openbadgecredential" { return entry.text }
        }
        return nil
    }

    // MARK: SVG

    static func bakeSVG(_ credential: String, into svg: String, version: Version) throws -> String {
        guard let open = svg.range(of: "<svg"), let end = startTagEnd(in: svg, from: open.upperBound) else {
            throw CredentialError.invalidInput("the SVG has no <svg> start tag")
        }
        var tag = String(svg[open.lowerBound..<end])
        let selfClosing = tag.hasSuffix("/")
        if selfClosing { tag.removeLast() }
        if !tag.contains("xmlns:openbadges=") { tag += " xmlns:openbadges=\"\(version.svgNamespace)\"" }
        let trimmed = credential.trimmingCharacters(in: .whitespacesAndNewlines)
        let element: String
        if trimmed.hasPrefix("{") {
            var verify = ""
            if version == .ob2, case .object(let fields)? = try? JSONDecoder().decode(JSONValueProbe.self, from: Data(trimmed.utf8)).value,
                let id = fields["id"]
            {
                verify = " verify=\"\(escapeAttribute(id))\""
            }
            let body = trimmed.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>")
            element = "<openbadges:\(version.svgElement)\(verify)><![CDATA[\(body)]]></openbadges:\(version.svgElement)>"
        } else {
            element = "<openbadges:\(version.svgElement) verify=\"\(escapeAttribute(trimmed))\"/>"
        }
        let rest = svg[svg.index(after: end)...]
        let remainder = selfClosing ? "</svg>" + rest : String(rest)
        return String(svg[..<open.lowerBound]) + tag + ">" + element + remainder
    }

    /// The baked credential: the first `openbadges:credential` or `openbadges:assertion` element inside the
    /// `<svg>` root (where baking puts it; anything before the root is not part of the image).
    static func unbakeSVG(_ svg: String) -> String? {
        guard let root = svg.range(of: "<svg"), let rootEnd = startTagEnd(in: svg, from: root.upperBound) else { return nil }
        for name in ["openbadges:credential", "openbadges:assertion"] {
            guard let open = svg.range(of: "<\(name)", range: rootEnd..<svg.endIndex), let end = startTagEnd(in: svg, from: open.upperBound) else {
                continue
            }
            let tag = String(svg[open.upperBound..<end])
            if let close = svg.range(of: "</\(name)>", range: end..<svg.endIndex) {
                // The body is one or more CDATA sections (a "]]>" in the text splits it); join their contents.
                var body = ""
                var cursor = end
                while let open = svg.range(of: "<![CDATA[", range: cursor..<close.lowerBound),
                    let finish = svg.range(of: "]]>", range: open.upperBound..<close.lowerBound)
                {
                    body += svg[open.upperBound..<finish.lowerBound]
                    cursor = finish.upperBound
                }
                if !body.isEmpty { return body }
            }
            if let value = attribute("verify", in: tag) { return value }
        }
        return nil
    }

    /// The index of the `>` ending a start tag, skipping quoted attribute values; nil when the tag does not
    /// end, or holds a `<` (which XML allows nowhere in a tag, not even in a value: such a tag is broken).
    private static func startTagEnd(in text: String, from start: String.Index) -> String.Index? {
        var quote: Character?
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if character == "<" { return nil }
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == ">" {
                return index
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: "\(name)=") else { return nil }
        let rest = tag[range.upperBound...]
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func escapeAttribute(_ value: String) -> String {
        value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Reads just the top-level string fields of a JSON object.
    private struct JSONValueProbe: Decodable {
        enum Value { case object([String: String]) }
        let value: Value
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            var fields: [String: String] = [:]
            for key in container.allKeys { if let text = try? container.decode(String.self, forKey: key) { fields[key.stringValue] = text } }
            value = .object(fields)
        }
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}

/// CRC-32 (ISO-HDLC, as PNG uses it).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { value in
        var crc = UInt32(value)
        for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
