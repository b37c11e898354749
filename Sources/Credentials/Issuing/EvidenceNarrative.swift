import Basics
import Definitions
import Evaluation

/// The evidence narrative of one badge in one language ("Osaaminen arvioitiin näin: 4.1 taso 3 (testi,
/// 2.3.2026); …"), compiled once from the localized templates so that each credential only fills in levels,
/// kinds of evidence and dates, straight into bytes.
struct EvidenceNarrative: Sendable {
    private enum Piece: Sendable {
        case text([UInt8])
        case competence
        case level
        case evidence
        case date
    }

    private enum DatePiece: Sendable {
        case text([UInt8])
        case day, month, year, day2, month2
    }

    /// The badge's aligned competences, in credential order.
    let codes: [String]
    private let codeBytes: [[UInt8]]
    private let item: [Piece]
    private let before: [UInt8]
    private let after: [UInt8]
    private let date: [DatePiece]
    private let nouns: [Evidence: [UInt8]]
    /// Whether no fixed piece needs escaping inside a JSON string (levels and dates never do).
    let isJSONSafe: Bool

    init(codes: [String], language: Language) {
        let strings = Localizer.shared
        self.codes = codes
        codeBytes = codes.map { Array($0.utf8) }
        item = strings.template("credential.evidence.item", language).pieces.map { piece in
            switch piece {
            case .literal(let text): .text(Array(text.utf8))
            case .placeholder("competence"): .competence
            case .placeholder("level"): .level
            case .placeholder("evidence"): .evidence
            case .placeholder("date"): .date
            case .placeholder(let name): .text(Array("{\(name)}".utf8))
            }
        }
        // The list template: text before and after {list}.
        var before: [UInt8] = []
        var after: [UInt8] = []
        var seenList = false
        for piece in strings.template("credential.evidence.narrative", language).pieces {
            switch piece {
            case .placeholder("list") where !seenList: seenList = true
            case .literal(let text): seenList ? after.append(contentsOf: text.utf8) : before.append(contentsOf: text.utf8)
            case .placeholder(let name):
                if seenList { after += Array("{\(name)}".utf8) } else { before += Array("{\(name)}".utf8) }
            }
        }
        self.before = before
        self.after = after
        date = strings.template("format.date", language).pieces.map { piece in
            switch piece {
            case .literal(let text): .text(Array(text.utf8))
            case .placeholder("d"): .day
            case .placeholder("m"): .month
            case .placeholder("y"): .year
            case .placeholder("dd"): .day2
            case .placeholder("mm"): .month2
            case .placeholder(let name): .text(Array("{\(name)}".utf8))
            }
        }
        // The same words as ReasonWriter.evidence(_:) uses in reports.
        nouns = Dictionary(uniqueKeysWithValues: Evidence.allCases.map { ($0, Array(strings.text("evidenceNoun.\($0.rawValue)", language).utf8)) })

        func safe(_ bytes: [UInt8]) -> Bool { !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } }
        var fixed: [[UInt8]] = codeBytes + [before, after, Array("; ".utf8)] + Array(nouns.values)
        for piece in item { if case .text(let text) = piece { fixed.append(text) } }
        for piece in date { if case .text(let text) = piece { fixed.append(text) } }
        isJSONSafe = fixed.allSatisfy(safe)
    }

    /// Writes the narrative for `result` as UTF-8 and sets `levels[i]` to the level reached in `codes[i]`
    /// (0 when it was not assessed).
    func write(_ result: EvaluationResult, levels: inout [Int], into output: inout [UInt8]) {
        output.append(contentsOf: before)
        var first = true
        for (index, code) in codes.enumerated() {
            guard let standing = result.competences.first(where: { $0.code == code }) else {
                levels[index] = 0
                continue
            }
            levels[index] = standing.level
            guard let source = standing.source else { continue }
            if !first { output.append(contentsOf: "; ".utf8) }
            first = false
            for piece in item {
                switch piece {
                case .text(let text): output.append(contentsOf: text)
                case .competence: output.append(contentsOf: codeBytes[index])
                case .level: Self.digits(standing.level, width: 1, into: &output)
                case .evidence: output.append(contentsOf: nouns[source.evidence] ?? [])
                case .date: writeDate(source.assessedAt, into: &output)
                }
            }
        }
        output.append(contentsOf: after)
    }

    /// The narrative as a string, with the levels reached.
    func text(_ result: EvaluationResult) -> (text: String, levels: [Int]) {
        var levels = [Int](repeating: 0, count: codes.count)
        var bytes: [UInt8] = []
        write(result, levels: &levels, into: &bytes)
        return (String(decoding: bytes, as: UTF8.self), levels)
    }

    private func writeDate(_ timestamp: Timestamp, into output: inout [UInt8]) {
        let (year, month, day) = timestamp.localDate
        for piece in date {
            switch piece {
            case .text(let text): output.append(contentsOf: text)
            case .day: Self.digits(day, width: 1, into: &output)
            case .month: Self.digits(month, width: 1, into: &output)
            case .year: Self.digits(year, width: 4, into: &output)
            case .day2: Self.digits(day, width: 2, into: &output)
            case .month2: Self.digits(month, width: 2, into: &output)
            }
        }
    }

    /// Decimal digits, zero-padded to `width`.
    private static func digits(_ value: Int, width: Int, into output: inout [UInt8]) {
        guard value >= 0 else {
            output.append(contentsOf: String(value).utf8)
            return
        }
        var divisor = 1
        var count = 1
        while value / divisor >= 10 {
            divisor *= 10
            count += 1
        }
        if count < width { output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - count)) }
        while divisor > 0 {
            output.append(UInt8(48 + value / divisor % 10))
            divisor /= 10
        }
    }
}
