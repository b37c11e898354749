import Basics
import Foundation
import Testing

@testable import Definitions

@Suite("Definition texts")
struct TextNormalizationTests {
    @Test("whitespace is collapsed exactly as splitting on Character.isWhitespace does, fast path or not")
    func collapsing() {
        var generator = SystemRandomNumberGenerator()
        // Latin text, ASCII whitespace, and what only the character path handles: Unicode spaces
        // (NBSP, NEL, em space, ideographic space), line separators, CR LF, combining marks after spaces.
        let pieces = [
            "Osaat", "ä", "ö", "Å", "é", "ß", "word", "x", " ", "  ", "\t", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{A0}", "\u{85}", "\u{2003}",
            "\u{3000}", "\u{2028}", "\u{301}", " \u{301}", "e\u{301}", "日本", "😀", "-",
            // Near misses and other neighbours of the byte path: dashes and quotes (E2 80 …), a prepended
            // sign (U+0600), joiners, every other Unicode space, and scalars that are not whitespace.
            "–", "“", "…", "\u{600}", "\u{200D}", "\u{1680}", "\u{2009}", "\u{200A}", "\u{202F}", "\u{205F}", "\u{2029}",
            "\u{180E}", "\u{200B}", "\u{FEFF}", "\u{2060}", "Ä\u{300}", "\u{E000}",
        ]
        var cases = ["", " ", "a", " a ", "\u{A0}a\u{A0}", "a\r\nb", "a b", "a  b", "a\tb", "a ", " a"]
        // Across the eight-byte steps of the Latin path: doubled spaces, a lead byte and its second byte,
        // and whitespace on either side of a step.
        cases += ["abcdefg  hij", "abcdefgh  ijk", "abcdefg ähij", "abcdefgä", "abcdefg\u{A0}x", "abcdefgh\u{301} x", "abcdefg\th", "abcdefghijklmno ", " abcdefghijklmnop"]
        for _ in 0..<20_000 {
            cases.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for text in cases {
            let expected = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            #expect(ModelBuilder.collapsingWhitespace(text) == expected, "\(Array(text.unicodeScalars))")
        }
    }
}

@Suite("Lint's text matching")
struct LintTextMatchingTests {
    @Test("lower case in NFC, byte path or not, equals lowercased() then Foundation's NFC")
    func lowered() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["KUNTOUTTAVA", "Työtoiminta", "ÄÖÅ", "äöå", "×", "÷", "ß", "É", "A\u{308}", "İ", "Σ", "Ω", "日本", "😀", " ", "Social Welfare"]
        var cases = ["", "A", "Ä", "\u{C0}\u{DE}\u{DF}\u{D7}"]
        // Across the eight-byte steps: a C3 at the end of one step and its second byte in the next.
        cases += ["ABCDEFGÄBC", "ABCDEFG×BC", "ÄÄÄÄÄÄÄÄÄÄÄ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{", "abcdefg\u{C0}\u{DE}", "ABCDEFGΣ"]
        for _ in 0..<3_000 {
            cases.append((0..<Int.random(in: 1...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for text in cases {
            #expect(Linter.lowercasedNFC(text) == Array(text.lowercased().precomposedStringWithCanonicalMapping.utf8), "\(text)")
        }
        #expect(Linter.bytes(Linter.lowercasedNFC("Kuntouttavan TYÖTOIMINNAN asiakas"), contain: Array("työtoimin".utf8)))
        #expect(!Linter.bytes(Array("työ".utf8), contain: Array("työtoimin".utf8)))
        // One pass finds the first word in the list's order, as asking word by word does.
        var random = SystemRandomNumberGenerator()
        let words = Linter.revealingWords + ["työ", "social ", "sosiaali", "long-term", " ", "x", "ä", "aktivointi"]
        for _ in 0..<2_000 {
            let text = Array((0..<Int.random(in: 0...6, using: &random)).map { _ in words.randomElement(using: &random)! }.joined().utf8)
            #expect(Linter.firstRevealingWord(in: text) == Linter.revealingBytes.firstIndex { Linter.bytes(text, contain: $0) }, "\(String(decoding: text, as: UTF8.self))")
        }
    }
}

@Suite("Eight bytes at a time")
struct ByteWordTests {
    @Test("each mask marks exactly the bytes a byte-at-a-time test picks, and a short load pads")
    func masks() {
        var random = SplitMix64(seed: 23)
        // Bytes near every edge the masks test (controls, space, A–Z, 0x7F/0x80, C3, the C3 second bytes,
        // other leads) and random ones.
        let edges: [UInt8] = [0x00, 0x09, 0x1F, 0x20, 0x21, 0x40, 0x41, 0x5A, 0x5B, 0x61, 0x7F, 0x80, 0x96, 0x97, 0x9E, 0x9F, 0xBF, 0xC0, 0xC2, 0xC3, 0xC4, 0xCC, 0xE2, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in random.next() % 2 == 0 ? edges[Int(random.next() % UInt64(edges.count))] : UInt8(truncatingIfNeeded: random.next()) }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
            func mask(_ test: (UInt8) -> Bool) -> UInt64 {
                bytes.enumerated().reduce(UInt64(0)) { test($1.element) ? $0 | 0x80 << UInt64($1.offset * 8) : $0 }
            }
            let probe = bytes[Int(random.next() % 8)]
            #expect(ByteWord.equal(word, probe) == mask { $0 == probe })
            #expect(ByteWord.equal(word, 0x20) == mask { $0 == 0x20 })
            for limit: UInt8 in [0x20, 0x41, 0x5B, 0x80] {
                #expect(ByteWord.asciiBelow(word, limit) == mask { $0 < limit })
            }
            #expect(ByteWord.leadsOtherThanC3(word) == mask { $0 >= 0xC0 && $0 != 0xC3 })
            let count = Int(random.next() % 9)
            bytes.withUnsafeBufferPointer { buffer in
                let loaded = ByteWord.load(buffer.baseAddress!, at: 0, end: count, pad: 0x61)
                #expect(loaded == (0..<8).reduce(UInt64(0)) { $0 | UInt64($1 < count ? bytes[$1] : 0x61) << UInt64($1 * 8) })
            }
        }
    }
}

@Suite("Suggestions for unknown ids")
struct SuggestionDistanceTests {
    /// The whole table, every cell: the reference the banded distance is held to.
    static func fullDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    @Test("the banded distance is the full table's whenever that is within the limit, and nil otherwise")
    func banded() {
        var random = SplitMix64(seed: 7)
        let alphabet: [Character] = ["a", "b", "c", "-", "ä", "e\u{301}", "1"]
        for _ in 0..<20_000 {
            let a = (0..<Int(random.next() % 9)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            var b = a
            // Near copies (the case suggestions are for) as often as unrelated strings.
            for _ in 0..<Int(random.next() % 4) {
                let place = b.isEmpty ? 0 : Int(random.next() % UInt64(b.count))
                switch random.next() % 3 {
                case 0: b.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: place)
                case 1: if !b.isEmpty { b.remove(at: place) }
                default: if !b.isEmpty { b[place] = alphabet[Int(random.next() % UInt64(alphabet.count))] }
                }
            }
            if random.next() % 4 == 0 { b = (0..<Int(random.next() % 9)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] } }
            let full = Self.fullDistance(a, b)
            for limit in 0...3 {
                #expect(Linter.editDistance(a, b, atMost: limit) == (full <= limit ? full : nil), "\(a) \(b) \(limit)")
            }
        }
    }
}
