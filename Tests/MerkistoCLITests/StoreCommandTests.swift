import Foundation
import Testing

@Suite("merkisto client, pathway, assess, import, report, audit")
struct StoreCommandTests {
    typealias Workspace = CredentialCommandTests.Workspace

    static var examples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: CommandRunner.repository.path + "/examples/clients")) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { "examples/clients/" + $0 }
    }

    @Test("import then client export gives every example back byte for byte")
    func roundTrip() throws {
        let work = try Workspace()
        let db = ["--db", work.file("merkisto.sqlite")]
        #expect(try work.run(["import", "examples/clients"] + db).status == 0)
        for path in Self.examples {
            let original = try Data(contentsOf: CommandRunner.repository.appendingPathComponent(path))
            let client = try #require((try JSONSerialization.jsonObject(with: original) as? [String: Any])?["client"] as? String)
            let exported = try work.run(["client", "export", client] + db)
            #expect(exported.status == 0)
            #expect(Data(exported.stdout.utf8) == original, "\(path) did not come back byte for byte")
        }
        // Importing the same client again is refused and changes nothing.
        let before = try work.run(["audit", "show"] + db).stdout
        let again = try work.run(["import", Self.examples[0]] + db)
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        #expect(try work.run(["audit", "show"] + db).stdout == before)
    }

    @Test("refused commands name what is wrong, exit non-zero and change nothing, the audit log included")
    func refusals() throws {
        let work = try Workspace()
        let db = ["--db", work.file("merkisto.sqlite")]
        #expect(try work.run(["client", "add", "asiakas-1", "--lang", "sv"] + db).status == 0)
        #expect(try work.run(["pathway", "start", "asiakas-1", "--decision-end", "2026-06-30"] + db).status == 0)
        try Data(#"{"id": "alku", "assessedAt": "2026-03-02T10:00:00+02:00", "assessor": "ohjaaja-1", "evidence": "observed", "levels": [{"competence": "9.9", "level": 2}]}"#.utf8)
            .write(to: URL(fileURLWithPath: work.file("bad.json")))
        try Data(#"{"client": "asiakas-2", "awards": [{"badge": "no-such-badge", "issuedAt": "2026-03-02T10:00:00+02:00"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: work.file("bad-record.json")))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: work.file("garbage.json")))
        let before = try work.run(["audit", "show"] + db).stdout
        let cases: [([String], Int32, String)] = [
            (["import", work.file("bad-record.json")], 1, "awards[0].badge: there is no badge \"no-such-badge\""),
            (["import", work.file("garbage.json")], 1, "not valid JSON"),
            (["import", work.file("missing.json")], 2, "does not exist"),
            (["pathway", "advance", "asiakas-1", "tyotoimintajakso"], 1, "from vireilletulo it goes on to aktivointisuunnitelma"),
            (["pathway", "advance", "asiakas-1", "no-such-phase"], 1, "no phase no-such-phase"),
            (["pathway", "close", "asiakas-1", "--outcome", "no-such-outcome"], 1, "no outcome no-such-outcome"),
            (["pathway", "start", "asiakas-1"], 1, "already has an open pathway period"),
            (["pathway", "advance", "asiakas-404", "aktivointisuunnitelma"], 1, "there is no client asiakas-404"),
            (["client", "add", "asiakas-1"], 1, "already exists"),
            (["client", "add", "Maija Meikäläinen"], 1, "not a valid pseudonymous client id"),
            (["assess", "asiakas-1", "--from", work.file("bad.json")], 1, "assessments[0].levels[0].competence: there is no competence \"9.9\""),
            (["assess", "asiakas-1", "--level", "1.1=9", "--evidence", "self"], 1, "9 is not a level of digcomp"),
            (["assess", "asiakas-1", "--level", "1.1", "--evidence", "self"], 2, "is not COMPETENCE=LEVEL"),
            (["attest", "asiakas-1", "--badge", "no-such-badge"], 1, "there is no badge no-such-badge"),
            (["issue", "asiakas-1", "--badge", "sahkoposti-ja-liitteet"], 3, "Inget sparades"),
        ]
        for (arguments, status, message) in cases {
            let result = try work.run(arguments + db)
            #expect(result.status == status, "\(arguments.joined(separator: " ")): exit \(result.status)")
            #expect(result.stderr.contains(message), "\(arguments.joined(separator: " ")): \(result.stderr)")
        }
        #expect(try work.run(["audit", "show"] + db).stdout == before)
        #expect(try work.run(["audit", "verify"] + db).status == 0)
    }

    @Test("issue to a stored client goes through the core: a badge held is refused naming it, --replace replaces it, an erased client gets nothing; attest gives and withdraws")
    func issueStoredClient() throws {
        let work = try Workspace()
        let common = ["--db", work.file("merkisto.sqlite"), "--keys", work.file("keys")]
        #expect(try work.run(["keys", "generate", "--alg", "ES256", "--dir", work.file("keys")]).status == 0)
        #expect(try work.run(["import", "examples/clients/tyoelaman-perustaso.json", "--db", work.file("merkisto.sqlite")]).status == 0)
        let client = "asiakas-9e4b"
        let first = try work.run(["issue", client, "--badge", "sahkoposti-ja-liitteet", "--out", work.file("1.jwt")] + common)
        #expect(first.status == 0, "\(first.stderr)")
        let firstID = try #require(first.stderr.split(separator: " ").first { $0.hasPrefix("urn:uuid:") })
        let again = try work.run(["issue", client, "--badge", "sahkoposti-ja-liitteet", "--out", work.file("2.jwt")] + common)
        #expect(again.status == 1 && again.stderr.contains("already holds") && again.stderr.contains(firstID), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.file("2.jwt")))
        let replaced = try work.run(["issue", client, "--badge", "sahkoposti-ja-liitteet", "--replace", "--out", work.file("3.jwt")] + common)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try work.run(["audit", "show"] + common.prefix(2)).stdout.contains("replaces \(firstID)"))
        #expect(try work.run(["issue", "examples/clients/tyoelaman-perustaso.json", "--badge", "kuvat-ja-tiedostot", "--replace"] + common).status == 2)
        // The confirmation työnhaku verkossa asks an instructor for, given and withdrawn from the command line.
        let attest = try work.run(["attest", client, "--badge", "tyonhaku-verkossa"] + common.prefix(2))
        #expect(attest.status == 1 && attest.stderr.contains("already given"), "\(attest.stderr)")  // the example record holds one
        #expect(try work.run(["attest", client, "--badge", "tyonhaku-verkossa", "--withdraw"] + common.prefix(2)).stdout.contains("withdrawn: instructor"))
        #expect(try work.run(["attest", client, "--badge", "tyonhaku-verkossa"] + common.prefix(2)).stdout.contains("recorded: instructor confirms"))
        #expect(try work.run(["attest", client, "--badge", "sahkoposti-ja-liitteet"] + common.prefix(2)).stderr.contains("asks for no confirmation"))
        // An erased client gets nothing.
        #expect(try work.run(["client", "erase", client] + common.prefix(2)).status == 0)
        let erased = try work.run(["issue", client, "--badge", "kuvat-ja-tiedostot"] + common)
        #expect(erased.status == 1 && erased.stderr.contains("was erased"), "\(erased.stderr)")
    }

    @Test("handover writes the client's CLR package, says what it carries and what it leaves out, and refuses an unknown client")
    func handover() throws {
        let work = try Workspace()
        let common = ["--db", work.file("merkisto.sqlite"), "--keys", work.file("keys")]
        #expect(try work.run(["keys", "generate", "--alg", "EdDSA", "--dir", work.file("keys")]).status == 0)
        #expect(try work.run(["keys", "generate", "--alg", "ES256", "--dir", work.file("keys")]).status == 0)
        #expect(try work.run(["import", "examples/clients/tyoelaman-perustaso.json", "--db", work.file("merkisto.sqlite")]).status == 0)
        let client = "asiakas-9e4b"
        #expect(try work.run(["issue", client, "--badge", "sahkoposti-ja-liitteet", "--format", "ob3-ldp"] + common).status == 0)
        let jwt = try work.run(["issue", client, "--badge", "kuvat-ja-tiedostot"] + common)
        let jwtID = try #require(jwt.stderr.firstMatch(of: /urn:uuid:[0-9a-f-]{36}/)).output
        let made = try work.run(["handover", client, "--out", work.file("package.json")] + common)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains("with 1 credentials and the progress towards 2 baselines") && made.stderr.contains("not carried") && made.stderr.contains(String(jwtID)))
        let package = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work.file("package.json")))) as? [String: Any])
        #expect(package["type"] as? [String] == ["VerifiableCredential", "ClrCredential"])
        let asJWT = try work.run(["handover", client, "--format", "ob3-jwt"] + common)
        #expect(asJWT.status == 0 && asJWT.stdout.split(separator: ".").count == 3 && asJWT.stderr.contains("with 2 credentials"), "\(asJWT.stderr)")
        #expect(try work.run(["audit", "show"] + common.prefix(2)).stdout.contains("handover.make"))
        let unknown = try work.run(["handover", "asiakas-404"] + common)
        #expect(unknown.status == 1 && unknown.stderr.contains("there is no client asiakas-404"), "\(unknown.stderr)")
        #expect(try work.run(["handover", client, "--format", "ob2-signed"] + common).status == 2)
    }

    @Test("after client erase no personal data is left in the database files, WAL included; credentials still verify")
    func erasure() throws {
        let work = try Workspace()
        let db = ["--db", work.file("merkisto.sqlite")]
        let keys = ["--keys", work.file("keys")]
        #expect(try work.run(["keys", "generate", "--dir", work.file("keys")]).status == 0)
        // A client whose record earns a badge, with a name, a contact and a recognisable assessment.
        let record = try Data(contentsOf: CommandRunner.repository.appendingPathComponent("examples/clients/tyoelaman-perustaso.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: record) as? [String: Any])
        object["client"] = "asiakas-erase"
        var assessments = try #require(object["assessments"] as? [[String: Any]])
        assessments[0]["note"] = "Zyxwvu-muistiinpano"
        assessments[0]["id"] = "qwerty-arvio"
        object["assessments"] = assessments
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: work.file("record.json")))
        #expect(try work.run(["import", work.file("record.json")] + db).status == 0)
        #expect(try work.run(["client", "add", "asiakas-named", "--name", "Ainomaija Personal", "--contact", "040-7777-1234"] + db).status == 0)
        #expect(try work.run(["pathway", "start", "asiakas-erase"] + db).status == 0)
        let issued = try work.run(["issue", "asiakas-erase", "--badge", "sahkoposti-ja-liitteet", "--out", work.file("c.jwt")] + db + keys)
        #expect(issued.status == 0)
        let credential = try #require(issued.stderr.firstMatch(of: /urn:uuid:[0-9a-f-]{36}/)).output
        #expect(try work.run(["revoke", String(credential), "--reason", "Asiakas siirtyi päihdekuntoutukseen"] + db).status == 0)

        func databaseBytes() throws -> Data {
            var bytes = Data()
            for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: work.file("merkisto.sqlite" + suffix)) {
                bytes += try Data(contentsOf: URL(fileURLWithPath: work.file("merkisto.sqlite" + suffix)))
            }
            return bytes
        }
        // The revocation reason (staff's free text) and the audit details that describe the client, too.
        let secrets = [
            "Ainomaija Personal", "040-7777-1234", "Zyxwvu-muistiinpano", "qwerty-arvio", "Asiakas siirtyi päihdekuntoutukseen",
            "sahkoposti-ja-liitteet ob3-jwt for asiakas-erase", "period asiakas-erase-1 in",
        ]
        let before = try databaseBytes()
        for secret in secrets { #expect(before.range(of: Data(secret.utf8)) != nil, "\(secret) should be stored before erasure") }

        #expect(try work.run(["client", "erase", "asiakas-erase"] + db).status == 0)
        #expect(try work.run(["client", "erase", "asiakas-named"] + db).status == 0)
        let after = try databaseBytes()
        for secret in secrets { #expect(after.range(of: Data(secret.utf8)) == nil, "\(secret) is still in the database files") }
        // What verification needs survives: the credential, its revocation, the audit chain.
        let exported = try work.run(["export", String(credential)] + db)
        let handedOut = try Data(contentsOf: URL(fileURLWithPath: work.file("c.jwt")))
        #expect(exported.status == 0 && Data(exported.stdout.utf8).prefix(handedOut.count) == handedOut)
        #expect(try work.run(["audit", "verify"] + db).status == 0)
        #expect(try work.run(["client", "export", "asiakas-erase"] + db).status == 1)
    }

    @Test("report: text, JSON and a self-contained HTML page in the client's language")
    func report() throws {
        let work = try Workspace()
        let db = ["--db", work.file("merkisto.sqlite")]
        #expect(try work.run(["import", "examples/clients/edistyja.json"] + db).status == 0)
        #expect(try work.run(["pathway", "start", "asiakas-3f9d", "--at", "2026-01-10"] + db).status == 0)
        for (phase, date) in [("aktivointisuunnitelma", "2026-01-12"), ("palvelupaatos", "2026-01-15"), ("tutustuminen", "2026-01-20"), ("tyotoimintajakso", "2026-02-01")] {
            #expect(try work.run(["pathway", "advance", "asiakas-3f9d", phase, "--at", date] + db).status == 0)
        }
        let at = ["--at", "2026-11-22T12:00:00+02:00"]
        let text = try work.run(["report", "asiakas-3f9d", "--lang", "en"] + at + db)
        #expect(text.status == 0)
        #expect(text.stdout.contains("[1] Start assessment 2026-02-02"))
        // Each kind of evidence on its own row: the self-assessments rose by 2; the test came only at the end.
        #expect(text.stdout.contains("1   3   3    +2   2.1 Interacting through digital technologies (self-assessment)"))
        #expect(text.stdout.contains("–   –   4         2.1 Interacting through digital technologies (test)"))
        #expect(text.stdout.contains("–   2   2    ±0   2.1 Interacting through digital technologies (instructor's observation)"))
        #expect(text.stdout.contains("Work activity period\n    ✓ Device basics (2026-04-20)"))
        let json = try work.run(["report", "asiakas-3f9d", "--format", "json"] + at + db)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((document["checkpoints"] as? [Any])?.count == 3)
        #expect(document["language"] as? String == "fi")
        let rows = try #require(document["competences"] as? [[String: Any]]).filter { $0["code"] as? String == "2.1" }
        #expect(rows.compactMap { $0["evidence"] as? String } == ["self", "test", "observed"])
        let html = try work.run(["report", "asiakas-3f9d", "--format", "html", "--lang", "sv"] + at + db).stdout
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"sv\">"))
        #expect(html.contains("<svg") && html.contains("Mellanutvärdering"))
        // Self-contained: nothing that could make a request.
        for pattern in ["<script", "src=", "href=", "url(", "@import", "http://", "https://"] {
            #expect(!html.contains(pattern), "the page contains \(pattern)")
        }
    }
}
