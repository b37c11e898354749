import Basics
import Foundation
import Testing

@testable import Definitions

/// Definition files come from people, but a county loads files from many authors: hostile XML must give
/// one clear error diagnostic, never a crash or a hang, and nothing from a referenced file may leak into
/// any message. (Time and memory limits are checked on the real binary by `Scripts/check-hostile.sh`.)
@Suite("Hostile XML")
struct HostileInputTests {
    /// A secret in a local file that an external entity tries to pull into the output.
    static let secret = "MERKISTO-SECRET-7f3a9c"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var expected: DiagnosticCode
        var bytes: @Sendable (_ secretPath: String) -> [UInt8]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "external entity naming a local file", expected: .doctypeForbidden) { secretPath in
            Array(
                """
                <?xml version="1.0"?>
                <!DOCTYPE badge [<!ENTITY leak SYSTEM "file://\(secretPath)">]>
                <badge xmlns="urn:merkisto:definitions:1" id="x"><name xml:lang="fi">&leak;</name></badge>
                """.utf8)
        },
        Case(name: "external entity over HTTP", expected: .doctypeForbidden) { _ in
            Array(
                """
                <?xml version="1.0"?>
                <!DOCTYPE badge [<!ENTITY remote SYSTEM "http://127.0.0.1:9/secret.txt">]>
                <badge xmlns="urn:merkisto:definitions:1">&remote;</badge>
                """.utf8)
        },
        Case(name: "external DTD", expected: .doctypeForbidden) { secretPath in
            Array(
                """
                <?xml version="1.0"?>
                <!DOCTYPE badge SYSTEM "file://\(secretPath)">
                <badge xmlns="urn:merkisto:definitions:1"/>
                """.utf8)
        },
        Case(name: "entity expansion bomb", expected: .doctypeForbidden) { _ in
            var text = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 \"lollollollollollollollollollol\">\n"
            for level in 1...12 {
                text += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">\n"
            }
            text += "]>\n<badge xmlns=\"urn:merkisto:definitions:1\">&lol12;</badge>\n"
            return Array(text.utf8)
        },
        Case(name: "undeclared entity without a DOCTYPE", expected: .notWellFormed) { _ in
            Array("<badge xmlns=\"urn:merkisto:definitions:1\">&lol;</badge>".utf8)
        },
        Case(name: "10,000 nested elements", expected: .tooDeep) { _ in
            Array(
                ("<badge xmlns=\"urn:merkisto:definitions:1\">" + String(repeating: "<all-of>", count: 10_000)
                    + String(repeating: "</all-of>", count: 10_000) + "</badge>").utf8)
        },
        Case(name: "invalid UTF-8", expected: .badEncoding) { _ in
            Array("<badge xmlns=\"urn:merkisto:definitions:1\"><name xml:lang=\"fi\">".utf8) + [0xC3, 0x28, 0xFF]
                + Array("</name></badge>".utf8)
        },
        Case(name: "overlong UTF-8 encoding", expected: .badEncoding) { _ in
            Array("<badge xmlns=\"urn:merkisto:definitions:1\">".utf8) + [0xC0, 0xBC] + Array("</badge>".utf8)
        },
        Case(name: "UTF-16 text", expected: .badEncoding) { _ in
            [0xFF, 0xFE] + Array("<badge/>".utf8).flatMap { [$0, 0] }
        },
        // Valid UTF-8 byte for byte (NUL is), but libxml2 would take it for UTF-16 if not told UTF-8.
        Case(name: "UTF-16 text without a byte order mark", expected: .notWellFormed) { _ in
            Array("<?xml version=\"1.0\"?><badge xmlns=\"urn:merkisto:definitions:1\" id=\"x\"/>".utf8).flatMap { [$0, 0] }
        },
        Case(name: "a declared encoding other than UTF-8", expected: .badEncoding) { _ in
            Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<badge xmlns=\"urn:merkisto:definitions:1\"/>".utf8)
        },
        Case(name: "not XML at all", expected: .notWellFormed) { _ in
            Array("%PDF-1.4\n1 0 obj << /Type /Catalog >>\nendobj\n".utf8)
        },
        Case(name: "empty file", expected: .notWellFormed) { _ in [] },
        Case(name: "binary noise", expected: .badEncoding) { _ in
            (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        },
        Case(name: "XInclude of a local file", expected: .schemaViolation) { secretPath in
            Array(
                """
                <badge xmlns="urn:merkisto:definitions:1" xmlns:xi="http://www.w3.org/2001/XInclude">
                  <xi:include href="file://\(secretPath)" parse="text"/>
                </badge>
                """.utf8)
        },
    ]

    @Test("is rejected with one clear error and leaks nothing", arguments: cases)
    func rejected(_ hostile: Case) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secretPath = directory + "/secret.txt"
        try Self.secret.write(toFile: secretPath, atomically: true, encoding: .utf8)
        let path = directory + "/hostile.xml"
        try Data(hostile.bytes(secretPath)).write(to: URL(fileURLWithPath: path))

        let result = try DefinitionLoader.load(paths: [path])
        let errors = result.diagnostics.filter { $0.severity == .error }
        #expect(!errors.isEmpty)
        #expect(errors.first?.code == hostile.expected, "\(result.diagnostics)")
        #expect(result.definitions.badges.isEmpty)
        for diagnostic in result.diagnostics {
            #expect(!diagnostic.message.contains(Self.secret))
            #expect(!diagnostic.message.contains("lollol"))
        }
    }

    @Test("a 50 MB file is refused from its size")
    func hugeFile() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/huge.xml"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 50 * 1024 * 1024)
        try handle.close()
        let result = try DefinitionLoader.load(paths: [path])
        #expect(result.diagnostics.map(\.code) == [.fileTooLarge])
    }

    @Test("random mutations of a valid file never crash the loader")
    func mutations() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestPaths.base + "/badge.xml")))
        var generator = SplitMix64(seed: 0x4D45_524B)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: index)
                default: bytes.insert(bytes[index], at: index)
                }
            }
            let output = SafeXMLParser.parse(bytes: bytes, displayPath: "mutated.xml")
            // Either it is still a valid element tree or at least one diagnostic says why not.
            #expect(output.isValid || !output.diagnostics.isEmpty)
        }
    }
}

