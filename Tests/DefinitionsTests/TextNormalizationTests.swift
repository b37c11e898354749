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
        ]
        var cases = ["", " ", "a", " a ", "\u{A0}a\u{A0}", "a\r\nb"]
        for _ in 0..<5_000 {
            cases.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for text in cases {
            let expected = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            #expect(ModelBuilder.collapsingWhitespace(text) == expected, "\(Array(text.unicodeScalars))")
        }
    }
}
