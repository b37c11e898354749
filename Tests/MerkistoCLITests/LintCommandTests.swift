import Foundation
import Testing

@Suite("merkisto lint")
struct LintCommandTests {
    static let fixtures = "Tests/DefinitionsTests/Fixtures"

    @Test("the shipped definitions pass --strict")
    func shippedStrict() throws {
        let output = try CommandRunner.run(["lint", "--strict"])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains("0 error(s), 0 warning(s)"))
    }

    @Test("errors print PATH:LINE:COLUMN: error: [CODE] message and exit 1")
    func textFormat() throws {
        let output = try CommandRunner.run(["lint", "\(Self.fixtures)/base", "\(Self.fixtures)/lint/unknown-badge"])
        #expect(output.status == 1)
        #expect(
            output.stdout.hasPrefix(
                "\(Self.fixtures)/lint/unknown-badge/bad.xml:7:5: error: [unknown-badge] badge \"perusmerki\" is not defined"))
    }

    @Test("warnings alone exit 0, and 1 with --strict")
    func strictWarnings() throws {
        let paths = ["\(Self.fixtures)/base", "\(Self.fixtures)/lint/missing-translation"]
        let relaxed = try CommandRunner.run(["lint"] + paths)
        #expect(relaxed.status == 0)
        #expect(relaxed.stdout.contains(": warning: [missing-translation]"))
        let strict = try CommandRunner.run(["lint", "--strict"] + paths)
        #expect(strict.status == 1)
        #expect(strict.stdout.contains(": error: [missing-translation]"))
    }

    @Test("--format json prints an array of located diagnostics")
    func jsonFormat() throws {
        let output = try CommandRunner.run([
            "lint", "--format", "json", "\(Self.fixtures)/base", "\(Self.fixtures)/lint/badge-cycle",
            "\(Self.fixtures)/lint/count-too-large",
        ])
        #expect(output.status == 1)
        let entries = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 2)
        for entry in entries {
            #expect(Set(entry.keys) == ["file", "line", "column", "severity", "code", "message"])
        }
        try Snapshot.assert(output.stdout, named: "lint-json.json")
    }

    @Test("paths alone (read without the argument parser) lint as with an option the parser reads", arguments: [
        [], ["Tests/DefinitionsTests/Fixtures/base", "Tests/DefinitionsTests/Fixtures/lint/unknown-badge"],
        ["Tests/DefinitionsTests/Fixtures/base", "Tests/DefinitionsTests/Fixtures/lint/missing-translation"], ["no-such-folder"],
    ])
    func plainPaths(paths: [String]) throws {
        let plain = try CommandRunner.run(["lint"] + paths)
        let parsed = try CommandRunner.run(["lint", "--format", "text"] + paths)
        #expect(plain.status == parsed.status)
        #expect(plain.stdout == parsed.stdout)
        #expect(plain.stderr == parsed.stderr)
        #expect(!plain.stderr.isEmpty)
    }

    @Test("a missing path or a bad option exits 2")
    func usageErrors() throws {
        let missing = try CommandRunner.run(["lint", "no-such-folder"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-folder: no such file or folder"))
        let badOption = try CommandRunner.run(["lint", "--format", "yaml"])
        #expect(badOption.status == 2)
    }

    @Test("hostile files are rejected with exit 1 and nothing else printed")
    func hostileFolder() throws {
        let output = try CommandRunner.run(["lint", "\(Self.fixtures)/lint/doctype-forbidden"])
        #expect(output.status == 1)
        #expect(output.stdout.split(separator: "\n").count == 1)
    }
}

@Suite("merkisto show badge")
struct ShowCommandTests {
    static let badges = ["sahkoposti-ja-liitteet", "verkko-ostokset-ja-maksaminen", "tyoelaman-digitaidot"]

    @Test("prints the badge with generated criteria in each language", arguments: badges, ["fi", "sv", "en"])
    func show(badge: String, language: String) throws {
        let output = try CommandRunner.run(["show", "badge", badge, "--lang", language])
        #expect(output.status == 0, "\(output.stderr)")
        try Snapshot.assert(output.stdout, named: "show-\(badge)-\(language).txt")
    }

    @Test("an unknown badge exits 2 and lists the known ones")
    func unknown() throws {
        let output = try CommandRunner.run(["show", "badge", "no-such-badge"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("sahkoposti-ja-liitteet"))
    }

    @Test("definitions with errors stop the command with exit 1")
    func brokenDefinitions() throws {
        let output = try CommandRunner.run([
            "show", "badge", "perusmerkki", "--definitions", "Tests/DefinitionsTests/Fixtures/lint/unknown-framework",
        ])
        #expect(output.status == 1)
        #expect(output.stderr.contains("[unknown-framework]"))
    }
}
