import Basics

/// A JWS payload whose fixed parts are encoded once.
///
/// The document is written with a marker in each place that changes per credential (a slot). The JSON
/// text between slots is padded with JSON whitespace to a multiple of 3 bytes and base64url-encoded once;
/// each slot value is padded the same way when it is filled in. Because every piece is a whole number of
/// 3-byte groups, the pieces' encodings joined are exactly the encoding of the joined JSON, so issuing
/// only encodes the few bytes that change. The padding is insignificant whitespace between JSON tokens.
struct PayloadTemplate: Sendable {
    enum Piece: Sendable {
        /// Base64url of a fixed run of JSON text.
        case fixed([UInt8])
        case slot(Int)
    }

    let pieces: [Piece]
    /// Encoded length without slots, to size the output once.
    let fixedLength: Int

    /// The encoded bytes every payload of this template starts with.
    var encodedStart: [UInt8] {
        if case .fixed(let encoded)? = pieces.first { return encoded }
        return []
    }

    /// The marker for slot `index`; XML text cannot contain U+0001, so no definition text collides with it.
    static func marker(_ index: Int) -> String { "\u{1}slot\(index)" }

    /// The slots the payload has, in order of appearance (each once).
    let slots: [Int]

    /// - Throws: ``CredentialError`` when the JSON text keeps a marker it cannot fill.
    init(_ document: JSONValue) throws {
        let (fixed, slots) = try TemplateMarkers.split(document.jsonBytes(), prefix: Array("\"\\u0001slot".utf8))
        var pieces: [Piece] = []
        var fixedLength = 0
        for (index, text) in fixed.enumerated() {
            var segment = text
            let last = index == fixed.count - 1
            if !last { while segment.count % 3 != 0 { segment.append(0x20) } }
            var encoded: [UInt8] = []
            Base64URL.append(segment, to: &encoded)
            fixedLength += encoded.count
            pieces.append(.fixed(encoded))
            if !last { pieces.append(.slot(slots[index])) }
        }
        self.pieces = pieces
        self.fixedLength = fixedLength
        var seen = Set<Int>()
        self.slots = slots.filter { seen.insert($0).inserted }
    }

    /// The base64url payload with each slot filled by `values[slot]`, which must be JSON text.
    ///
    /// - Throws: ``CredentialError`` when a slot has no value: nothing is signed with a hole in it.
    func encode(_ values: [[UInt8]], into output: inout [UInt8]) throws {
        if let slot = TemplateMarkers.unfilled(slots, values.count, isEmpty: { values[$0].isEmpty }) {
            throw CredentialError.invalidInput("the payload template's slot \(slot) has no value")
        }
        var slotLength = 0
        for value in values { slotLength += value.count }
        // Room for the signature too, so the token's buffer is allocated once.
        output.reserveCapacity(output.count + fixedLength + slotLength * 4 / 3 + values.count * 4 + 400)
        var padded: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .fixed(let encoded):
                output.append(contentsOf: encoded)
            case .slot(let slot):
                padded.removeAll(keepingCapacity: true)
                padded.append(contentsOf: values[slot])
                while padded.count % 3 != 0 { padded.append(0x20) }
                Base64URL.append(padded, to: &output)
            }
        }
    }

    /// JSON text of a string value.
    static func json(_ string: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count + 2)
        JSONBytes.writeString(string, into: &output)
        return output
    }

    /// JSON text of an integer.
    static func json(_ int: Int) -> [UInt8] { Array(String(int).utf8) }
}

/// Template markers in JSON text: each a whole JSON string, `"<prefix><slot number>"`.
enum TemplateMarkers {
    /// The text between markers (one piece more than markers) and each marker's slot, in order.
    ///
    /// - Throws: ``CredentialError`` when a marker's start is left in the text (not a whole string with a
    ///   slot number): a template must not be signed with a marker in place of a value.
    static func split(_ text: [UInt8], prefix: [UInt8]) throws -> (fixed: [[UInt8]], slots: [Int]) {
        var fixed: [[UInt8]] = []
        var slots: [Int] = []
        var segment: [UInt8] = []
        var index = 0
        while index < text.count {
            if text[index] == prefix[0], text[index...].starts(with: prefix) {
                var cursor = index + prefix.count
                var slot = 0
                while cursor < text.count, cursor - index - prefix.count < 6, text[cursor] >= 0x30, text[cursor] <= 0x39 {
                    slot = slot * 10 + Int(text[cursor] - 0x30)
                    cursor += 1
                }
                if cursor < text.count, cursor > index + prefix.count, text[cursor] == UInt8(ascii: "\"") {
                    fixed.append(segment)
                    segment.removeAll(keepingCapacity: true)
                    slots.append(slot)
                    index = cursor + 1
                    continue
                }
            }
            segment.append(text[index])
            index += 1
        }
        fixed.append(segment)
        let start = Array(prefix.dropFirst())
        for piece in fixed where piece.count >= start.count && piece.indices.dropLast(start.count - 1).contains(where: { piece[$0...].starts(with: start) }) {
            throw CredentialError.invalidInput("the template keeps a marker it cannot fill")
        }
        return (fixed, slots)
    }

    /// The first of `slots` that `count` values do not fill (out of range, or empty); nil when all are filled.
    static func unfilled(_ slots: [Int], _ count: Int, isEmpty: (Int) -> Bool) -> Int? {
        slots.first { $0 >= count || isEmpty($0) }
    }
}
