import Foundation
import Testing

@Suite("merkisto definitions push, list, activate; evaluate --as-of-award")
struct DefinitionsCommandTests {
    typealias Workspace = CredentialCommandTests.Workspace

    @Test("a folder with errors is not kept; a good one is, once; activate puts it in use; an issued award replays under its own version")
    func versions() throws {
        let work = try Workspace()
        let db = ["--db", work.file("merkisto.sqlite")]
        // A copy with an unknown competence: refused with the located error, nothing kept.
        let copy = work.file("definitions")
        try FileManager.default.copyItem(atPath: CommandRunner.repository.appendingPathComponent("BadgeDefinitions").resolvingSymlinksInPath().path, toPath: copy)
        let badge = copy + "/badges/asiointi-verkossa.xml"
        let original = try String(contentsOfFile: badge, encoding: .utf8)
        try original.replacingOccurrences(of: #"<competence ref="1.3""#, with: #"<competence ref="9.9""#).write(toFile: badge, atomically: true, encoding: .utf8)
        let refused = try work.run(["definitions", "push", copy] + db)
        #expect(refused.status == 1 && refused.stderr.contains("badges/asiointi-verkossa.xml:15:"))
        #expect(try work.run(["definitions", "list"] + db).stdout.isEmpty)
        // The shipped set: kept, printed by its digest, listed; pushed again, kept once.
        let pushed = try work.run(["definitions", "push", "BadgeDefinitions"] + db)
        #expect(pushed.status == 0)
        let digest = pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.count == 64)
        #expect(try work.run(["definitions", "push", "BadgeDefinitions"] + db).stderr.contains("kept already"))
        #expect(try work.run(["definitions", "list"] + db).stdout.split(separator: "\n").count == 1)
        #expect(try work.run(["definitions", "activate", digest] + db).status == 0)
        #expect(try work.run(["definitions", "list"] + db).stdout.contains("in use"))
        #expect(try work.run(["definitions", "activate", String(repeating: "0", count: 64)] + db).status == 1)
        // Issued under the shipped set, then replayed under it.
        #expect(try work.run(["keys", "generate", "--dir", work.file("keys")]).status == 0)
        #expect(try work.run(["import", CredentialCommandTests.earner] + db).status == 0)
        let issued = try work.run(["issue", "--all-earned", "--keys", work.file("keys")] + db)
        #expect(issued.status == 0)
        let credential = try #require(issued.stdout.split(separator: "\t").first.map(String.init))
        let replay = try work.run(["evaluate", "--as-of-award", credential, "--format", "json"] + db)
        #expect(replay.status == 0 && replay.stderr.contains(": earned"))
        #expect(replay.stdout.contains(String(digest.prefix(12))))
        #expect(try work.run(["evaluate", "--as-of-award", "urn:uuid:ei-ole"] + db).status == 1)
        // Verified through the core, as the verification page does: valid, then revoked.
        let exported = work.file("c.jwt")
        #expect(try work.run(["export", credential, "--out", exported] + db).status == 0)
        let keys = ["--keys", work.file("keys")]
        let valid = try work.run(["verify", exported, "--lang", "en"] + keys + db)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(try work.run(["revoke", credential, "--reason", "testi"] + db).status == 0)
        let revoked = try work.run(["verify", exported, "--lang", "en"] + keys + db)
        #expect(revoked.status == 1 && revoked.stdout.lowercased().contains("revoked"), "\(revoked.stdout)")
    }
}
