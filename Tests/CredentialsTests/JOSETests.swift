import Basics
@testable import Credentials
import Crypto
import Definitions
import Evaluation
import Foundation
import Testing

@Suite("JOSE building blocks")
struct JOSETests {
    @Test("base64url round-trips every length and agrees with Foundation")
    func base64RoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let foundation = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(encoded == foundation)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test(
        "base64url decoding, 32 or sixteen characters at a time or not, agrees with Foundation on long texts with any byte anywhere",
        arguments: [0, 1, 2] as [Int32])
    func base64Blocks(vectors: Int32) {
        var random = SplitMix64(seed: 64)
        for round in 0..<3_000 {
            let bytes = (0..<Int(12 + random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var text = Array(Base64URL.encode(bytes).utf8)
            if round % 4 != 0 {
                // One byte changed anywhere but in the last group of four (whose spare bits Foundation does
                // not check): to any byte at all, or to another character of the alphabet.
                let place = Int(random.next() % UInt64(text.count - 4))
                text[place] = round % 2 == 0 ? UInt8(truncatingIfNeeded: random.next()) : Array("Az09-_".utf8)[Int(random.next() % 6)]
            }
            let standard = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/")
            let padded = standard + String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
            // Foundation reads "+" and "/", which base64url does not have.
            let foundation = text.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") }
                ? nil : Data(base64Encoded: padded).map { [UInt8]($0) }
            #expect(text.withUnsafeBufferPointer { Base64URL.decode($0, vectors: vectors) } == foundation, "\(String(decoding: text, as: UTF8.self))")
        }
        // Every byte value at every place of 96 characters (six blocks of sixteen): refused exactly when it is
        // not in the alphabet; any character of the alphabet decodes as Foundation decodes it.
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let valid = Array(Base64URL.encode((0..<72).map { UInt8($0 * 5 % 256) }).utf8)
        for byte in 0...255 {
            for place in 0..<valid.count {
                var text = valid
                text[place] = UInt8(byte)
                let decoded = text.withUnsafeBufferPointer { Base64URL.decode($0, vectors: vectors) }
                #expect((decoded != nil) == alphabet.contains(UInt8(byte)), "byte \(byte) at \(place)")
                if let decoded {
                    let standard = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                    #expect(Data(base64Encoded: standard).map { [UInt8]($0) } == decoded, "byte \(byte) at \(place)")
                }
            }
        }
    }

    @Test(
        "base64url decoding accepts one spelling only",
        arguments: ["QQ==", "QR", "QUJ", "A", "QU+C", "QU/C", "QU C", "QUJD.", "QUJDRA=", "QUJDR"])
    func base64Strict(text: String) {
        // "QQ" and "QUI" are the canonical spellings of "A" and "AB"; "QR" and "QUJ" carry non-zero spare bits.
        #expect(Base64URL.decode("QQ") == [65] && Base64URL.decode("QUI") == [65, 66])
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("the JSON reader agrees with Foundation on real documents")
    func readerAgrees() throws {
        let documents = [
            #"{"a":[1,-2,3.5,2.5e-1,true,false,null],"b":{"c":"d\"e\\f\/g\u00e4\ud83d\ude00\n"},"":""}"#,
            #"  [ {"x" : "long string with spaces and ümlauts that crosses eight-byte words", "y": [ ] , "z": { } } ] "#,
            "\"\"", "0", "-0.25", "[[[[[]]]]]",
        ]
        for text in documents {
            let ours = try JSONBytes.parse(Array(text.utf8))
            let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(ours == theirs, "\(text)")
        }
    }

    @Test(
        "the JSON reader refuses what is not JSON, also in parts it does not keep",
        arguments: [
            "", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "\"unterminated", "\"bad \\x escape\"",
            "\"raw \u{1} control\"", "01", "1.", "-", "tru", "{\"a\":1}{", "{\"kept\":1,\"kept\":2}", "\"\\ud800\"",
            "{\"skipped\":[1,2,{\"x\":\"\\q\"}]}", "{\"skipped\":{\"x\" 1}}",
            // Lone surrogates, kept or skipped, as values and as keys.
            "{\"kept\":\"\\udc00\"}", "{\"skipped\":\"\\ud800\"}", "{\"skipped\":\"\\udc00x\"}", "{\"skipped\":\"\\ud800x\\udc00\"}",
            "{\"skipped\":\"\\ud800\\u0041\"}", "{\"skipped\":\"\\ud800\\n\"}", "{\"skipped\":{\"\\ud800\":1}}", "{\"skipped\":[\"\\ud83d\\ud83d\"]}",
        ])
    func readerRefuses(text: String) {
        #expect(throws: JSONBytes.Malformed.self) { try JSONBytes.parse(Array(text.utf8), keeping: .keys(["kept": .all])) }
        #expect(throws: JSONBytes.Malformed.self) { try JSONBytes.parse(Array(text.utf8)) }
    }

    @Test("a key URL names its kid by its last part without .json")
    func kidFromKeyURL() {
        for (url, kid) in [
            ("https://badges.example.org/keys/k-2026.json", "k-2026"), ("k1.json", "k1"), ("https://x/ä/kä.json", "kä"),
            ("https://x/keys/.json", nil), ("https://x/keys/k1.jsonx", nil), ("https://x/keys/k1", nil), ("https://x/k1.json/", nil), ("", nil),
        ] as [(String, String?)] {
            #expect(PublishLayout.kid(fromKeyURL: url) == kid, "\(url)")
        }
    }

    @Test("a selection keeps the named parts and drops the rest")
    func selection() throws {
        let text = #"{"keep":{"a":1,"b":[2]},"drop":{"deep":[1,2,3]},"some":{"x":"y","z":"w"}}"#
        let value = try JSONBytes.parse(Array(text.utf8), keeping: .keys(["keep": .all, "some": .keys(["x": .all])]))
        #expect(value == ["keep": ["a": 1, "b": [2]], "some": ["x": "y"]])
    }

    @Test("the writer's output reads back to the same value, keys sorted")
    func writer() throws {
        let value: JSONValue = ["b": ["z", 1, true, .null], "a": .string("quote \" slash / tab \t ä \u{1}"), "c": .double(2.5)]
        let bytes = value.jsonBytes()
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"a":"quote \" slash / tab \t ä \u0001""#))
        #expect(try JSONBytes.parse(bytes) == value)
    }

    @Test("a payload template encodes exactly the base64url of its filled-in JSON")
    func template() throws {
        let document: JSONValue = [
            "id": .string(PayloadTemplate.marker(0)), "long": .string(String(repeating: "ä", count: 301)),
            "list": [.string(PayloadTemplate.marker(1)), "fixed", .string(PayloadTemplate.marker(2))], "n": .string(PayloadTemplate.marker(3)),
        ]
        let template = try PayloadTemplate(document)
        for values in [["urn:x", "a", "bc", "7"], ["", "é", "with \"quotes\"", "-12345"]] {
            let filled: [[UInt8]] = values.prefix(3).map { PayloadTemplate.json($0) } + [Array(values[3].utf8)]
            var encoded: [UInt8] = []
            try template.encode(filled, into: &encoded)
            let json = try #require(Base64URL.decode(String(decoding: encoded, as: UTF8.self)))
            let expected: JSONValue = [
                "id": .string(values[0]), "long": .string(String(repeating: "ä", count: 301)), "list": [.string(values[1]), "fixed", .string(values[2])],
                "n": .int(Int(values[3])!),
            ]
            #expect(try JSONBytes.parse(json) == expected)
        }
    }

    @Test("a payload template with a slot left unfilled, or a marker it cannot fill, is never signed")
    func templateHoles() throws {
        let document: JSONValue = ["id": .string(PayloadTemplate.marker(0)), "n": .string(PayloadTemplate.marker(2))]
        let template = try PayloadTemplate(document)
        #expect(template.slots == [0, 2])
        var output: [UInt8] = []
        #expect(throws: CredentialError.self) { try template.encode([Array("\"a\"".utf8), [], []], into: &output) }
        #expect(throws: CredentialError.self) { try template.encode([Array("\"a\"".utf8)], into: &output) }
        // Slot 1 is not in the payload: it need not be filled.
        try template.encode([Array("\"a\"".utf8), [], Array("1".utf8)], into: &output)
        #expect(!output.isEmpty)
        // A marker inside other text, or without its number, would be signed as it is: refused.
        for text in ["see " + PayloadTemplate.marker(1), PayloadTemplate.marker(1) + " and more", "\u{1}slot"] {
            #expect(throws: CredentialError.self, "\(text)") { try PayloadTemplate(["id": .string(text)]) }
        }
    }

    @Test("the compiled evidence narrative says what the localized templates say", arguments: [Language.fi, .sv, .en])
    func narrative(language: Language) throws {
        let result = Evaluator(Setup.compiled).evaluate(Setup.client, at: Setup.now)
        let writer = ReasonWriter(compiled: Setup.compiled, language: language)
        let strings = Localizer.shared
        for badge in Setup.compiled.definitions.badges {
            let codes = Setup.compiled.definitions.alignedCompetences(of: badge).map(\.code)
            let (text, levels) = EvidenceNarrative(codes: codes, language: language).text(result)
            var items: [String] = []
            for (index, code) in codes.enumerated() {
                let standing = result.competences.first { $0.code == code }
                #expect(levels[index] == (standing?.level ?? 0))
                guard let source = standing?.source else { continue }
                items.append(
                    strings.text(
                        "credential.evidence.item", language,
                        ["competence": code, "level": String(source.level), "evidence": writer.evidence(source.evidence), "date": writer.date(source.assessedAt)]))
            }
            #expect(text == strings.text("credential.evidence.narrative", language, ["list": items.joined(separator: "; ")]), "\(badge.id)")
        }
    }
}

@Suite("JSON reader against Foundation on generated input")
struct JSONReaderFuzzTests {
    /// A small deterministic generator, so a failure can be replayed from its seed.
    typealias SplitMix = SplitMix64

    static func randomValue(_ random: inout SplitMix, depth: Int) -> JSONValue {
        let pieces = ["a", "ä", "\"", "\\", "/", "\n", "\u{1}", "😀", "x", " ", "urn:uuid:1", "{", "]"]
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int.random(in: -1_000_000...1_000_000, using: &random))
        case 3: return .double(Double(Int.random(in: -1000...1000, using: &random)) + 0.25)  // never integral: 1.0 would read back as 1
        case 4: return .string((0..<Int.random(in: 0..<12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        case 5: return .array((0..<Int.random(in: 0..<5, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &random) {
                fields[pieces.randomElement(using: &random)! + String(Int.random(in: 0..<50, using: &random))] = randomValue(&random, depth: depth + 1)
            }
            return .object(fields)
        }
    }

    @Test("generated documents read back equal, written by us and by JSONEncoder")
    func roundTrips() throws {
        var random = SplitMix(seed: 20261124)
        for _ in 0..<500 {
            let value = Self.randomValue(&random, depth: 0)
            #expect(try JSONBytes.parse(value.jsonBytes()) == value)
            #expect(try JSONBytes.parse(Array(try JSONEncoder().encode(value))) == value)
        }
    }

    @Test(
        "invalid UTF-8 is refused, also in parts the reader does not keep",
        arguments: [[0xC3], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        for (before, after) in [("{\"kept\":\"", "\"}"), ("{\"skipped\":\"a", "b\"}"), ("{\"skipped\":{\"", "\":1}}"), ("{\"s\":[\"long ascii run ", " more\"]}")] {
            let document = Array(before.utf8) + bytes + Array(after.utf8)
            #expect(throws: JSONBytes.Malformed.self) { try JSONBytes.parse(document, keeping: .keys(["kept": .all])) }
        }
    }

    @Test("the UTF-8 check agrees with the standard library on random and edge-case byte strings")
    func utf8Check() {
        var random = JSONReaderFuzzTests.SplitMix(seed: 7)
        let edges: [[UInt8]] = [
            [0xC2, 0x80], [0xC1, 0xBF], [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xE2, 0x82], [0x80], [0xFF], [],
        ]
        var cases = edges
        for _ in 0..<20_000 {
            // Mostly bytes from the interesting ranges, so that valid sequences come up too.
            cases.append((0..<Int.random(in: 1...6, using: &random)).map { _ in
                Bool.random(using: &random) ? UInt8.random(in: 0x80...0xBF, using: &random) : UInt8.random(in: 0...0xFF, using: &random)
            })
        }
        for bytes in cases {
            let ours = bytes.withUnsafeBufferPointer { UTF8Check.isValid($0) }
            #expect(ours == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test("skipped parts that are JSON are accepted: UTF-8, surrogate pairs and escapes")
    func skippedAccepted() throws {
        let text = #"{"kept":1,"skipped":["ä€😀 long enough to cross words","\ud83d\ude00","\u00e4\n\/",{"\ud83d\ude00":"x"}]}"#
        #expect(try JSONBytes.parse(Array(text.utf8), keeping: .keys(["kept": .all])) == ["kept": 1])
    }

    @Test("damaged documents never crash the reader, and what it accepts Foundation accepts too")
    func damaged() throws {
        var random = SplitMix(seed: 42)
        for _ in 0..<300 {
            var bytes = Self.randomValue(&random, depth: 0).jsonBytes()
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(Array("{}[],:\"\\ 0e-".utf8).randomElement(using: &random)!, at: index)
                }
                if bytes.isEmpty { break }
            }
            let ours = try? JSONBytes.parse(bytes)
            let selected = try? JSONBytes.parse(bytes, keeping: .keys(["a1": .all, "x2": .keys(["y": .all])]))
            // What is skipped is checked as strictly as what is kept.
            #expect((selected != nil) == (ours != nil), "\(String(decoding: bytes, as: UTF8.self))")
            if let ours {
                let theirs = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
                #expect(theirs != nil, "we accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))")
                if case .object = ours, let theirs { #expect(ours == theirs) }
            }
        }
    }
}
