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

    init(_ document: JSONValue) {
        let json = document.jsonBytes()
        let prefix = Array("\"\\u0001slot".utf8)
        var pieces: [Piece] = []
        var fixedLength = 0
        var segment: [UInt8] = []
        var index = 0

        func flush(last: Bool) {
            if !last { while segment.count % 3 != 0 { segment.append(0x20) } }
            var encoded: [UInt8] = []
            Base64URL.append(segment, to: &encoded)
            fixedLength += encoded.count
            pieces.append(.fixed(encoded))
            segment.removeAll(keepingCapacity: true)
        }

        while index < json.count {
            if json[index] == prefix[0], json[index...].starts(with: prefix) {
                var cursor = index + prefix.count
                var slot = 0
                while cursor < json.count, json[cursor] >= 0x30, json[cursor] <= 0x39 {
                    slot = slot * 10 + Int(json[cursor] - 0x30)
                    cursor += 1
                }
                if cursor < json.count, json[cursor] == UInt8(ascii: "\"") {
                    flush(last: false)
                    pieces.append(.slot(slot))
                    index = cursor + 1
                    continue
                }
            }
            segment.append(json[index])
            index += 1
        }
        flush(last: true)
        self.pieces = pieces
        self.fixedLength = fixedLength
    }

    /// The base64url payload with each slot filled by `values[slot]`, which must be JSON text.
    func encode(_ values: [[UInt8]], into output: inout [UInt8]) {
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
