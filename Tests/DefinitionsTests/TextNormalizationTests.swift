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
