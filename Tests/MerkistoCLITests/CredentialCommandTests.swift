import Foundation
import Testing

@Suite("merkisto keys, issue, publish, verify, revoke, bake")
struct CredentialCommandTests {
    /// A scratch folder with keys of every algorithm, removed afterwards.
    final class Workspace {
        let path: String
        var outputs: [String] = []

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-cli-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// Runs a command and keeps everything it printed.
        @discardableResult
        func run(_ arguments: [String]) throws -> CommandRunner.Output {
            let output = try CommandRunner.run(arguments)
            outputs.append(output.stdout)
            outputs.append(output.stderr)
            return output
        }

        func file(_ name: String) -> String { path + "/" + name }
    }

    static let earner = "examples/clients/tyoelaman-perustaso.json"

    @Test("no private key material appears in any output, log or published file; key files are 0600")
    func noPrivateKeys() throws {
        let work = try Workspace()
        let keys = work.file("keys")
        for alg in ["EdDSA", "ES256", "RS256"] {
            #expect(try work.run(["keys", "generate", "--alg", alg, "--dir", keys]).status == 0)
        }
        #expect(try work.run(["keys", "list", "--dir", keys]).status == 0)
        let common = ["--keys", keys, "--db", work.file("ledger.sqlite")]
        var issued: [String] = []
        // Each algorithm on a badge of its own: the client holds one valid award per badge and format.
        for (format, alg, badge) in [
            ("ob3-jwt", "ES256", "tietoturvan-perusteet"), ("ob3-jwt", "RS256", "sahkoposti-ja-liitteet"), ("ob3-jwt", "EdDSA", "asiointi-verkossa"),
            ("ob2-signed", "RS256", "tietoturvan-perusteet"), ("ob2-hosted", "ES256", "tietoturvan-perusteet"),
        ] {
            let out = work.file("\(format)-\(alg).txt")
            let result = try work.run(
                ["issue", Self.earner, "--badge", badge, "--format", format, "--alg", alg, "--recipient-email", "a@example.org", "--out", out] + common)
            #expect(result.status == 0, "\(result.stderr)")
            issued.append(out)
        }
        // One more to standard output, which is also output; then revoke it.
        let last = try work.run(["issue", Self.earner, "--badge", "kuvat-ja-tiedostot"] + common)
        #expect(last.status == 0)
        let id = try #require(last.stderr.split(separator: " ").first { $0.hasPrefix("urn:uuid:") })
        #expect(try work.run(["revoke", String(id), "--reason", "issued by mistake", "--db", work.file("ledger.sqlite")]).status == 0)
        let published = work.file("published")
        #expect(try work.run(["publish", "--out", published] + common).status == 0)
        for file in issued {
            #expect(try work.run(["verify", file, "--published", published, "--recipient-email", "a@example.org"]).status == 0)
            #expect(try work.run(["bake", "--credential", file, "--image", "BadgeDefinitions/images/tietoturvan-perusteet.svg", "--out", file + ".svg"]).status == 0)
            #expect(try work.run(["unbake", file + ".svg"]).status == 0)
        }
        #expect(try work.run(["bench", "--help"]).status == 0)

        // Everything written outside the key folder, and everything printed.
        var texts = work.outputs
        let enumerator = FileManager.default.enumerator(atPath: work.path)
        while let relative = enumerator?.nextObject() as? String {
            guard !relative.hasPrefix("keys/"), relative != "keys" else { continue }
            if let data = FileManager.default.contents(atPath: work.file(relative)) { texts.append(String(decoding: data, as: UTF8.self)) }
        }
        let privateFiles = try FileManager.default.contentsOfDirectory(atPath: keys).filter { $0.hasSuffix(".private.pem") }
        #expect(privateFiles.count == 3)
        for name in privateFiles {
            let attributes = try FileManager.default.attributesOfItem(atPath: keys + "/" + name)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(name)")
            // Every line of the PEM body is a fragment that must appear nowhere.
            let pem = try String(contentsOfFile: keys + "/" + name, encoding: .utf8)
            let fragments = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 16 }.map(String.init)
            #expect(!fragments.isEmpty)
            for text in texts {
                #expect(!text.contains("PRIVATE KEY"))
                for fragment in fragments { #expect(!text.contains(fragment)) }
            }
        }
        // Published JWKs carry only public members.
        let jwks = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: published + "/keys/jwks.json"))) as? [String: Any]
        let list = try #require(jwks?["keys"] as? [[String: Any]])
        #expect(list.count == 3)
        for key in list { #expect(Set(key.keys).isDisjoint(with: ["d", "p", "q", "dp", "dq", "qi"])) }
    }

    @Test("a badge that is not earned exits 3 with the reasons and writes nothing")
    func notEarned() throws {
        let work = try Workspace()
        #expect(try work.run(["keys", "generate", "--dir", work.file("keys")]).status == 0)
        let result = try work.run(
            ["issue", "examples/clients/aloittelija.json", "--badge", "sahkoposti-ja-liitteet", "--keys", work.file("keys"), "--db", work.file("ledger.sqlite"),
             "--out", work.file("out.jwt")])
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Merkkiä sahkoposti-ja-liitteet ei voi myöntää"))
        #expect(result.stderr.contains("✗"))
        #expect(!FileManager.default.fileExists(atPath: work.file("out.jwt")))
        // The database may have been opened; nothing was recorded in it.
        let audit = try work.run(["audit", "show", "--db", work.file("ledger.sqlite")])
        #expect(audit.status == 0 && audit.stdout.isEmpty)
    }

    @Test("verify names the failure and exits non-zero for a tampered credential")
    func tampered() throws {
        let work = try Workspace()
        let keys = work.file("keys")
        #expect(try work.run(["keys", "generate", "--dir", keys]).status == 0)
        let out = work.file("c.jwt")
        #expect(try work.run(["issue", Self.earner, "--badge", "tietoturvan-perusteet", "--keys", keys, "--db", work.file("l.sqlite"), "--out", out]).status == 0)
        #expect(try work.run(["publish", "--out", work.file("pub"), "--keys", keys, "--db", work.file("l.sqlite")]).status == 0)
        var token = Array(try String(contentsOfFile: out, encoding: .utf8).utf8)
        let middle = token.firstIndex(of: UInt8(ascii: "."))! + 40
        token[middle] = token[middle] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(token).write(to: URL(fileURLWithPath: work.file("bad.jwt")))
        let english = try work.run(["verify", work.file("bad.jwt"), "--published", work.file("pub"), "--lang", "en"])
        #expect(english.status == 1)
        #expect(english.stdout.contains("NOT VALID") && english.stdout.contains("bad signature"))
        let finnish = try work.run(["verify", work.file("bad.jwt"), "--published", work.file("pub")])
        #expect(finnish.status == 1)
        #expect(finnish.stdout.contains("EI KELPAA") && finnish.stdout.contains("allekirjoitus ei täsmää"))
        let good = try work.run(["verify", out, "--published", work.file("pub"), "--lang", "sv"])
        #expect(good.status == 0 && good.stdout.hasPrefix("GILTIGT"))
    }

    @Test("export writes a credential again exactly as it was issued; an unknown id exits 1")
    func export() throws {
        let work = try Workspace()
        let keys = work.file("keys")
        #expect(try work.run(["keys", "generate", "--dir", keys]).status == 0)
        let out = work.file("c.jwt")
        let issued = try work.run(["issue", Self.earner, "--badge", "tietoturvan-perusteet", "--keys", keys, "--db", work.file("l.sqlite"), "--out", out])
        let id = try #require(issued.stderr.split(separator: " ").first { $0.hasPrefix("urn:uuid:") })
        #expect(try work.run(["export", String(id), "--db", work.file("l.sqlite"), "--out", work.file("again.jwt")]).status == 0)
        #expect(FileManager.default.contents(atPath: work.file("again.jwt")) == FileManager.default.contents(atPath: out))
        #expect(try work.run(["export", "urn:uuid:00000000-0000-4000-8000-000000000000", "--db", work.file("l.sqlite")]).status == 1)
        #expect(try work.run(["export", String(id), "--db", work.file("missing.sqlite")]).status == 2)
        // Neither export nor revoke creates a ledger where there is none.
        #expect(try work.run(["revoke", String(id), "--reason", "test", "--db", work.file("missing.sqlite")]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: work.file("missing.sqlite")))
    }

    @Test("verify judges what was signed: a suspended or expired ob3-ldp credential stays so whatever the JSON's shape")
    func reshapedDataIntegrity() throws {
        let work = try Workspace()
        let keys = work.file("keys")
        #expect(try work.run(["keys", "generate", "--alg", "EdDSA", "--dir", keys]).status == 0)
        let common = ["--keys", keys, "--db", work.file("ledger.sqlite")]
        let out = work.file("credential.json")
        let issued = try work.run(["issue", Self.earner, "--badge", "tietoturvan-perusteet", "--format", "ob3-ldp", "--out", out] + common)
        #expect(issued.status == 0, "\(issued.stderr)")
        let id = try #require(issued.stderr.split(separator: " ").first { $0.hasPrefix("urn:uuid:") })
        let credential = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        func write(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var changed = credential
            change(&changed)
            let path = work.file(name)
            try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: path))
            return path
        }
        let wrappedStatus = try write("status-in-array.json") { $0["credentialStatus"] = [$0["credentialStatus"]!] }
        let wrappedUntil = try write("until-in-array.json") { $0["validUntil"] = [$0["validUntil"]!] }
        let untilValue = try write("until-value-object.json") {
            $0["validUntil"] = ["@value": $0["validUntil"]!, "@type": "http://www.w3.org/2001/XMLSchema#dateTime"]
        }
        let published = work.file("published")
        #expect(try work.run(["publish", "--out", published] + common).status == 0)
        for file in [out, wrappedStatus, wrappedUntil, untilValue] {
            let now = try work.run(["verify", file, "--published", published, "--lang", "en"])
            #expect(now.status == 0, "\(file): \(now.stdout) \(now.stderr)")
            let later = try work.run(["verify", file, "--published", published, "--at", "2040-01-01T00:00:00Z", "--lang", "en"])
            #expect(later.status == 1 && later.stdout.lowercased().contains("expired"), "\(file): \(later.stdout)")
        }
        #expect(try work.run(["suspend", String(id), "--reason", "checking", "--db", work.file("ledger.sqlite")]).status == 0)
        #expect(try work.run(["publish", "--out", published] + common).status == 0)
        for file in [out, wrappedStatus, wrappedUntil, untilValue] {
            let suspended = try work.run(["verify", file, "--published", published, "--lang", "en"])
            #expect(suspended.status == 1 && suspended.stdout.lowercased().contains("suspended"), "\(file): \(suspended.stdout)")
        }
    }
}
