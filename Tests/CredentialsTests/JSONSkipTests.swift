import Basics
import CJSONSkip
import Credentials
import Foundation
import Testing

/// The JSON reader checks the values it does not keep, and the keys and strings it keeps, with a C skipper
/// first (CJSONSkip), and reads a value itself only when the skipper is not sure or finds an error. The skipper must never take what the reader
/// refuses, nor say other than the reader whether the keys are plain terms: held here to the reader's own
/// answers (the reader with the skipper turned off) on real credentials, generated documents and
/// a hundred thousand altered copies of them.
@Suite("The C skipper answers as the Swift reader")
struct JSONSkipTests {
    /// One reading: the value and whether every key is a plain term, or the error (byte offset and reason).
    enum Reading: Equatable {
        case read(JSONValue, plainTerms: Bool)
        case refused(String)
    }

    /// What reading `{"s":<value>}` gives keeping nothing of `s`, all of it, and some keys of it (kept keys and
    /// strings go through the C string check too). Values are compared as values: a dictionary's description
    /// may list the same keys in another order.
    static func outcome(_ value: [UInt8], fast: Bool) -> [Reading] {
        let document = Array(#"{"s":"#.utf8) + value + Array("}".utf8)
        let selections: [JSONSelection] = [
            .keys(["k": .all]), .all, .keys(["s": .keys(["a": .all, "@context": .all, "id": .keys(["x": .all]), "name": .all])]),
        ]
        return selections.map { selection in
            do {
                let (read, plain) = try JSONBytes.parseNotingKeys(document, keeping: selection, fastSkip: fast)
                return .read(read, plainTerms: plain)
            } catch {
                return .refused("\(error)")
            }
        }
    }

    /// Where the C skipper says `value` ends, read at depth 1 as in `outcome`; -1 when it does not take it.
    static func skipperEnd(_ value: [UInt8], depth: Int = 1, plain: inout Int32) -> Int {
        value.withUnsafeBufferPointer { Int(merkisto_json_skip_value($0.baseAddress, $0.count, 0, depth, &plain)) }
    }

    /// VC-JWT payloads as Merkisto issues them: nested objects, Finnish text, URLs, numbers.
    static let credentials: [[UInt8]] = {
        guard let workload = try? CredentialWorkload(compiled: Setup.compiled, clients: 4) else { return [] }
        return (0..<min(workload.count, 6)).compactMap { index in
            guard let token = try? workload.issue(index).bytes else { return nil }
            let parts = token.split(separator: UInt8(ascii: "."))
            return Base64URL.decode(String(decoding: parts[1], as: UTF8.self))
        }
    }()

    static let edgeCases: [String] = [
        #""""#, #""plain""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u00e4\u00C4""#, #""\ud83d\ude00""#, #""\uD83D\uDE00x""#,
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800\n""#, #""\ud83d\ud83d""#, #""\u12""#, #""\u12g4""#, #""\x""#,
        "\"tab\there\"", "\"ä ö å 😀 — ascii after the non-ascii run\"", "0", "-0", "-", "01", "1.", "1.5", "-12.25", "1e5", "1E+5",
        "2.5e-1", "123456789012345678", "1234567890123456789", "-12345678901234567", "123456789012345678901234567890",
        "1e400", "true", "false", "null", "tru", "nul", "falsey", "[]", "[ ]", "[1,]", "[,1]", "[1 2]", "[1,[2,[3]]]", "{}",
        "{ }", #"{"a":1}"#, #"{"a" : 1 , "b" : [ ] }"#, #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":}"#, #"{1:2}"#, #"{"":1}"#,
        #"{"@context":1}"#, #"{"@id":"x"}"#, #"{"a:b":1}"#, #"{"a\u003ab":1}"#, #"{"\u0061":1}"#, #"{"x":{"@type":1}}"#,
        #"{"a":1,"a":2}"#, "[\"\u{1}\"]", "\"\u{7F}\"", "{\"a\":\"\\u0000\"}", "[\"unterminated]", "\"", "[", "{", "{\"a\"",
        "{\"a\":", " 1", "1 ", "[1]x", "{}}", "\"a\"\"b\"",
    ]

    @Test("edge cases: the same value, the same error, the same word on the keys")
    func edgeCasesAgree() {
        for text in Self.edgeCases {
            let bytes = Array(text.utf8)
            #expect(Self.outcome(bytes, fast: true) == Self.outcome(bytes, fast: false), "\(text)")
        }
    }

    @Test("the skipper takes the common shapes itself (else it would be tested only for handing back)")
    func skipperTakesCommonShapes() throws {
        for text in [
            #"{"a":[1,-2,3.5,true,false,null],"b":{"c":"d\"e\\f\/g\u00e4\ud83d\ude00\n"},"d":"ä ö"}"#, #"[ {"x" : "y" } , [ ] ]"#, #""text""#, "-12.5",
        ] {
            var plain: Int32 = 1
            #expect(Self.skipperEnd(Array(text.utf8), plain: &plain) == text.utf8.count, "\(text)")
            #expect(plain == 1)
        }
        for payload in Self.credentials {
            var plain: Int32 = 1
            #expect(Self.skipperEnd(payload, plain: &plain) == payload.count)
        }
        #expect(Self.credentials.count >= 4)
    }

    @Test("keys that are not plain terms, and @context only in the top object")
    func plainKeys() {
        for (text, depth, plain) in [
            (#"{"@context":1}"#, 0, 1), (#"{"@context":1}"#, 1, 0), (#"{"@contexts":1}"#, 0, 0), (#"{"a":{"@context":1}}"#, 0, 0),
            (#"{"@id":1}"#, 0, 0), (#"{"a:b":1}"#, 0, 0), (#"{"\u0061":1}"#, 0, 0), (#"{"":1}"#, 0, 0), (#"{"a":"x:y"}"#, 0, 1),
            (#"[{"a":1},{"b":{"c":2}}]"#, 3, 1), (#"[{"a":1},{"b":{"c:":2}}]"#, 3, 0),
        ] as [(String, Int, Int32)] {
            var found: Int32 = 1
            #expect(Self.skipperEnd(Array(text.utf8), depth: depth, plain: &found) == text.utf8.count, "\(text)")
            #expect(found == plain, "\(text) at depth \(depth)")
        }
    }

    @Test("nesting: 63 levels taken, 64 refused, as the reader does")
    func nesting() {
        for levels in [62, 63, 64, 65] {
            let text = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
            #expect(Self.outcome(Array(text.utf8), fast: true) == Self.outcome(Array(text.utf8), fast: false), "\(levels)")
            var plain: Int32 = 1
            // At depth 1, `levels` arrays reach depth `levels`: the innermost must be below 64.
            #expect((Self.skipperEnd(Array(text.utf8), plain: &plain) >= 0) == (levels < 64), "\(levels)")
        }
    }

    @Test("a hundred thousand altered documents: the same answers with and without the skipper")
    func alteredDocumentsAgree() throws {
        var random = SplitMix64(seed: 20261206)
        var documents = Self.credentials
        for _ in 0..<300 {
            let value = JSONReaderFuzzTests.randomValue(&random, depth: 0)
            documents.append(value.jsonBytes())
            documents.append(Array(try JSONEncoder().encode(value)))
        }
        documents += Self.edgeCases.map { Array($0.utf8) }
        // Bytes and pieces that change what a document means to the reader.
        let bytes: [UInt8] = Array(#""\{}[],: 0123456789-+.eEu@abtfnrlsDdCc"#.utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]
        let pieces: [[UInt8]] = [
            #"\ud800"#, #"\udc00"#, #"\ud83d\ude00"#, #"\u00"#, #"\"#, "1e5", "-0", "01", "1234567890123456789", "\"@context\"", "\"a:b\"", "\"\"",
            "[[[[", "]]]]", "{\"k\":", "true", "nul", "ä", "😀", " ",
        ].map { Array($0.utf8) } + [[0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC0, 0xAF]]
        var agreed = 0, taken = 0
        for (number, original) in documents.enumerated() {
            let rounds = number < Self.credentials.count ? 3_000 : 120
            for _ in 0..<rounds {
                var document = original
                for _ in 0..<Int.random(in: 1...3, using: &random) where !document.isEmpty {
                    let place = Int.random(in: 0..<document.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: document[place] = bytes.randomElement(using: &random)!
                    case 1: document.insert(contentsOf: pieces.randomElement(using: &random)!, at: place)
                    case 2: document.remove(at: place)
                    default: document[place] = UInt8.random(in: 0...255, using: &random)
                    }
                }
                let fast = Self.outcome(document, fast: true), slow = Self.outcome(document, fast: false)
                #expect(fast == slow, "\(String(decoding: document.prefix(300), as: UTF8.self))")
                if fast == slow { agreed += 1 }
                var plain: Int32 = 1
                if Self.skipperEnd(document, plain: &plain) == document.count { taken += 1 }
            }
        }
        // Many altered copies are still JSON; the skipper must have taken a good share itself.
        #expect(agreed > 90_000 && taken > agreed / 20, "agreed \(agreed), taken by the skipper \(taken)")
    }
}
