import Foundation
import Testing

@testable import Definitions

/// One bad fixture per lint rule: the fixture folder is loaded together with the valid `base` set and must
/// produce the rule's code, with the right severity, at the right file, line and column.
@Suite("Lint rules")
struct LintRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var code: String
        var file: String
        var line: Int
        var column: Int
        var severity: Diagnostic.Severity = .error
        var testDescription: String { code }
    }

    static let cases: [Case] = [
        Case(code: "not-well-formed", file: "bad.xml", line: 3, column: 33),
        Case(code: "doctype-forbidden", file: "bad.xml", line: 2, column: 1),
        Case(code: "bad-encoding", file: "bad.xml", line: 3, column: 25),
        Case(code: "too-deep", file: "bad.xml", line: 7, column: 309),
        Case(code: "unknown-root", file: "bad.xml", line: 3, column: 1),
        Case(code: "schema-violation", file: "bad.xml", line: 9, column: 7),
        Case(code: "missing-finnish", file: "bad.xml", line: 3, column: 3),
        Case(code: "missing-translation", file: "bad.xml", line: 3, column: 3, severity: .warning),
        Case(code: "unsupported-language", file: "bad.xml", line: 3, column: 68),
        Case(code: "duplicate-translation", file: "bad.xml", line: 3, column: 36),
        Case(code: "unknown-framework", file: "bad.xml", line: 2, column: 1),
        Case(code: "unknown-competence", file: "bad.xml", line: 9, column: 7),
        Case(code: "unknown-area", file: "bad.xml", line: 7, column: 5),
        Case(code: "unknown-baseline", file: "bad.xml", line: 7, column: 5),
        Case(code: "unknown-instrument", file: "bad.xml", line: 7, column: 5),
        Case(code: "unknown-item", file: "bad.xml", line: 7, column: 5),
        Case(code: "unknown-scale", file: "bad.xml", line: 8, column: 3),
        Case(code: "unknown-badge", file: "bad.xml", line: 7, column: 5),
        Case(code: "unknown-phase", file: "bad.xml", line: 6, column: 5),
        Case(code: "duplicate-id", file: "bad.xml", line: 2, column: 1),
        Case(code: "level-out-of-range", file: "bad.xml", line: 7, column: 5),
        Case(code: "count-too-large", file: "bad.xml", line: 7, column: 5),
        Case(code: "badge-cycle", file: "b.xml", line: 9, column: 7),
        Case(code: "unreachable-criterion", file: "bad.xml", line: 7, column: 5),
        Case(code: "unreachable-by-instrument", file: "bad.xml", line: 7, column: 5, severity: .warning),
        Case(code: "vacuous-criterion", file: "bad.xml", line: 7, column: 5, severity: .warning),
        Case(code: "item-condition", file: "bad.xml", line: 7, column: 5),
        Case(code: "correct-answer", file: "bad.xml", line: 8, column: 3),
        Case(code: "scale-too-small", file: "bad.xml", line: 4, column: 3),
        Case(code: "level-cuts", file: "bad.xml", line: 13, column: 5),
        Case(code: "competence-outside-area", file: "bad.xml", line: 9, column: 5),
        Case(code: "unreachable-phase", file: "bad.xml", line: 7, column: 3, severity: .warning),
        Case(code: "missing-image", file: "bad.xml", line: 5, column: 3),
        Case(code: "reveals-service", file: "bad.xml", line: 2, column: 1, severity: .warning),
    ]

    @Test("the base fixture set is clean")
    func baseIsClean() throws {
        let result = try DefinitionLoader.load(paths: [TestPaths.base])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.definitions.badges.count == 1)
    }

    @Test("each rule reports its code at the right place", arguments: cases)
    func rule(_ expected: Case) throws {
        let folder = TestPaths.fixtures + "/lint/" + expected.code
        let result = try DefinitionLoader.load(paths: [TestPaths.base, folder])
        let matches = result.diagnostics.with(DiagnosticCode(rawValue: expected.code))
        let diagnostic = try #require(matches.first, "no \(expected.code) in \(result.diagnostics)")
        #expect(matches.count == 1, "\(matches)")
        #expect(diagnostic.location.file == folder + "/" + expected.file)
        #expect(diagnostic.location.line == expected.line)
        #expect(diagnostic.location.column == expected.column)
        #expect(diagnostic.severity == expected.severity)
        #expect(!diagnostic.message.isEmpty)
        // Nothing is reported against the valid base files.
        #expect(result.diagnostics.allSatisfy { $0.location.file.hasPrefix(folder) }, "\(result.diagnostics)")
    }

    @Test("an unknown badge id is answered with the nearest one (one letter missing), not with another badge")
    func suggestion() throws {
        let result = try DefinitionLoader.load(paths: [TestPaths.base, TestPaths.fixtures + "/lint/unknown-badge"])
        let diagnostic = try #require(result.diagnostics.with(.unknownBadge).first)
        #expect(diagnostic.message.hasSuffix(" Did you mean \"perusmerkki\"?"), "\(diagnostic.message)")
    }

    @Test("every diagnostic code in the library has a fixture here")
    func everyCodeCovered() {
        let covered = Set(Self.cases.map(\.code)).union(["file-too-large", "file-unreadable"])
        let all: [DiagnosticCode] = [
            .fileUnreadable, .fileTooLarge, .badEncoding, .doctypeForbidden, .notWellFormed, .tooDeep, .unknownRoot,
            .schemaViolation, .missingFinnish, .missingTranslation, .unsupportedLanguage, .duplicateTranslation,
            .unknownFramework, .unknownCompetence, .unknownArea, .unknownBaseline, .unknownInstrument, .unknownItem,
            .unknownScale, .unknownBadge, .unknownPhase, .duplicateID, .levelOutOfRange, .countTooLarge, .badgeCycle,
            .unreachableCriterion, .unreachableByInstrument, .vacuousCriterion, .itemCondition, .correctAnswer,
            .scaleTooSmall, .levelCuts, .competenceOutsideArea, .unreachablePhase, .missingImage, .revealsService,
        ]
        #expect(Set(all.map(\.rawValue)) == covered)
    }

    @Test("badges that share an image file each get its diagnostic: one not a PNG, one missing, one good (each file read once)")
    func sharedImages() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        try Data(good).write(to: URL(fileURLWithPath: directory + "/good.png"))
        try Data("<svg/>".utf8).write(to: URL(fileURLWithPath: directory + "/fake.png"))
        try Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8).write(to: URL(fileURLWithPath: directory + "/kuva.svg"))
        let badges = ["fake.png", "fake.png", "missing.png", "missing.png", "good.png", "good.png", "fake.png"]
        for (index, png) in badges.enumerated() {
            let text = """
                <?xml version="1.0" encoding="UTF-8"?>
                <badge xmlns="urn:merkisto:definitions:1" id="merkki-\(index)" framework="mini" version="1">
                  <name xml:lang="fi">Merkki</name><name xml:lang="sv">Märke</name><name xml:lang="en">Badge</name>
                  <description xml:lang="fi">Kuvaus.</description><description xml:lang="sv">Beskrivning.</description><description xml:lang="en">Description.</description>
                  <image src="kuva.svg" png="\(png)"/>
                  <criteria>
                    <competence ref="1.1" min-level="1"/>
                  </criteria>
                </badge>
                """
            try text.write(toFile: directory + "/merkki-\(index).xml", atomically: true, encoding: .utf8)
        }
        let result = try DefinitionLoader.load(paths: [TestPaths.base, directory])
        let images = result.diagnostics.with(.missingImage)
        for (index, png) in badges.enumerated() {
            let mine = images.filter { $0.location.file.hasSuffix("/merkki-\(index).xml") }
            switch png {
            case "fake.png": #expect(mine.count == 1 && mine[0].message.contains("is not a PNG file"), "\(index): \(mine)")
            case "missing.png": #expect(mine.count == 1 && mine[0].message.contains("does not exist"), "\(index): \(mine)")
            default: #expect(mine.isEmpty, "\(index): \(mine)")
            }
        }
    }

    @Test("a file over the size limit is refused before it is parsed")
    func fileTooLarge() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/large.xml"
        var text = "<badge xmlns=\"urn:merkisto:definitions:1\">"
        text += String(repeating: "<!-- padding padding padding padding -->\n", count: SafeXMLParser.maximumBytes / 40 + 10)
        text += "</badge>"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let output = SafeXMLParser.parseFile(atPath: path, displayPath: path)
        #expect(output.diagnostics.map(\.code) == [.fileTooLarge])
        #expect(output.diagnostics.first?.location == SourceLocation(file: path, line: 1, column: 1))
    }

    @Test("a file that cannot be read is reported, not thrown")
    func fileUnreadable() {
        let output = SafeXMLParser.parseFile(atPath: "/nonexistent/merkisto.xml", displayPath: "merkisto.xml")
        #expect(output.diagnostics.map(\.code) == [.fileUnreadable])
    }

    @Test("a path that does not exist is an error before loading")
    func missingPath() {
        #expect(throws: DefinitionPathError.self) {
            try DefinitionLoader.load(paths: ["/nonexistent/definitions"])
        }
    }

    @Test("references resolve across files given separately")
    func crossFileReferences() throws {
        let base = TestPaths.base
        let result = try DefinitionLoader.load(paths: [base + "/framework.xml", base + "/instrument.xml", base + "/badge.xml"])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let alone = try DefinitionLoader.load(paths: [base + "/badge.xml"])
        #expect(alone.diagnostics.map(\.code).contains(.unknownFramework))
    }
}
