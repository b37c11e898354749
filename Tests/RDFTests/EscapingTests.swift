import Basics
import Foundation
import RDF
import Testing

/// JSON strings and N-Quads literals are escaped by copying runs of plain bytes; checked here against the
/// byte-at-a-time rules they replaced and, for JSON, against Foundation's own parser.
@Suite struct EscapingTests {
    static func samples() -> [String] {
        var samples = ["", "plain", "\"", "\\", "a\"b\\c", "\u{0}\u{1}\u{1F}\u{7F}", "line\nbreak\r\ttab\u{8}\u{C}", "ä ö å – ✓ 🙂", String(repeating: "x", count: 300)]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab\"\\\n\r\t\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F} äö🙂/".unicodeScalars)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...40, using: &generator)
            samples.append(String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })))
        }
        return samples
    }

    @Test("JSON strings: the same bytes as escaping one byte at a time, and Foundation reads back the same text")
    func json() throws {
        func byteAtATime(_ value: String) -> [UInt8] {
            var output: [UInt8] = [0x22]
            for byte in value.utf8 {
                switch byte {
                case 0x22: output += [0x5C, 0x22]
                case 0x5C: output += [0x5C, 0x5C]
                case 0x0A: output += [0x5C, UInt8(ascii: "n")]
                case 0x0D: output += [0x5C, UInt8(ascii: "r")]
                case 0x09: output += [0x5C, UInt8(ascii: "t")]
                case 0..<0x20: output += Array(String(format: "\\u%04x", byte).utf8)
                default: output.append(byte)
                }
            }
            return output + [0x22]
        }
        for sample in Self.samples() {
            var written: [UInt8] = []
            JSONValue.writeString(sample, into: &written)
            #expect(written == byteAtATime(sample), "\(sample.debugDescription)")
            let read = try JSONSerialization.jsonObject(with: Data(written), options: .fragmentsAllowed) as? String
            #expect(read == sample, "\(sample.debugDescription)")
        }
    }

    @Test("N-Quads literals: the same bytes as escaping one byte at a time, and the reader reads back the same text")
    func nquads() throws {
        func byteAtATime(_ value: String) -> [UInt8] {
            var output: [UInt8] = []
            for byte in value.utf8 {
                switch byte {
                case 0x08: output += [0x5C, UInt8(ascii: "b")]
                case 0x09: output += [0x5C, UInt8(ascii: "t")]
                case 0x0A: output += [0x5C, UInt8(ascii: "n")]
                case 0x0C: output += [0x5C, UInt8(ascii: "f")]
                case 0x0D: output += [0x5C, UInt8(ascii: "r")]
                case 0x22: output += [0x5C, 0x22]
                case 0x5C: output += [0x5C, 0x5C]
                case 0x00...0x1F, 0x7F: output += Array(String(format: "\\u%04X", byte).utf8)
                default: output.append(byte)
                }
            }
            return output
        }
        for sample in Self.samples() {
            var text: [UInt8] = []
            NQuads.writeLiteralText(sample, into: &text)
            #expect(text == byteAtATime(sample), "\(sample.debugDescription)")
            var line: [UInt8] = []
            NQuads.write(Quad(.iri("https://example.org/s"), .iri("https://example.org/p"), .literal(sample, datatype: RDFTerm.xsdString, language: nil)), into: &line)
            let read = try NQuads.parse(String(decoding: line, as: UTF8.self))
            #expect(read.first?.object == .literal(sample, datatype: RDFTerm.xsdString, language: nil), "\(sample.debugDescription)")
        }
    }
}
