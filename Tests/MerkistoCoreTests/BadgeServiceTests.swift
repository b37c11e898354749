import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage
import Testing

enum World {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let compiled: CompiledDefinitions = {
        let result = try! DefinitionLoader.load(paths: [repository + "/BadgeDefinitions"])
        precondition(!result.hasErrors)
        return CompiledDefinitions(result.definitions)
    }()

    static let now = try! Timestamp.parse("2026-11-22T12:00:00+02:00").get()

    static var examples: [String] {
        let folder = repository + "/examples/clients"
        return (try! FileManager.default.contentsOfDirectory(atPath: folder)).filter { $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    /// A service over a fresh in-memory store, with keys in a temporary folder.
    /// A service on a store in memory, or (`sqlite`) on a SQLite database in the same temporary folder.
    static func service(keys: Bool = false, sqlite: Bool = false) throws -> (BadgeService, cleanup: () -> Void) {
        let directory = NSTemporaryDirectory() + "merkisto-core-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyStore = KeyStore(directory: directory + "/keys")
        if keys { _ = try keyStore.generate(.es256, kid: "es256-test", now: now) }
        let store: any Store = sqlite ? try SQLiteStore(path: directory + "/merkisto.sqlite") : MemoryStore()
        let service = BadgeService(store: store, compiled: compiled, keys: keyStore, baseURL: "https://badges.example.org/", clock: { now })
        return (service, { try? FileManager.default.removeItem(atPath: directory) })
    }
}

@Suite("Application core")
struct BadgeServiceTests {
    @Test("import then export gives every example client back byte for byte", arguments: World.examples)
    func roundTrip(path: String) async throws {
        let (service, cleanup) = try World.service()
        defer { cleanup() }
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        let file = try await service.importRecord(bytes, by: "test")
        #expect(try await service.exportRecord(file.client.id) == bytes)
        // The stored client evaluates exactly as the file does.
        let fromFile = try ClientRecordReader(definitions: World.compiled).read(Data(bytes))
        let evaluator = Evaluator(World.compiled)
        #expect(try await evaluator.earnedBadges(service.record(of: service.clientFile(file.client.id)), at: World.now) == evaluator.earnedBadges(fromFile, at: World.now))
    }

    @Test("the pathway follows the model; refused changes change nothing, the audit log included")
    func pathway() async throws {
        let (service, cleanup) = try World.service()
        defer { cleanup() }
        try await service.registerClient(id: "asiakas-1", by: "ohjaaja-1")
        try await service.startPathway(client: "asiakas-1", decisionEnd: World.now, by: "ohjaaja-1")
        let audited = try await service.store.auditLog().count
        func refused(_ code: CoreError.Code, _ body: () async throws -> Void) async {
            await #expect { try await body() } throws: { ($0 as? CoreError)?.code == code }
        }
        await refused(.invalid) { try await service.advancePathway(client: "asiakas-1", to: "tyotoimintajakso", by: "o") }  // skips phases
        await refused(.invalid) { try await service.advancePathway(client: "asiakas-1", to: "no-such-phase", by: "o") }
        await refused(.invalid) { try await service.closePathway(client: "asiakas-1", outcome: "no-such-outcome", by: "o") }
        await refused(.conflict) { try await service.startPathway(client: "asiakas-1", by: "o") }  // one open period at a time
        await refused(.notFound) { try await service.advancePathway(client: "asiakas-404", to: "aktivointisuunnitelma", by: "o") }
        await refused(.duplicate) { try await service.registerClient(id: "asiakas-1", by: "o") }
        await refused(.invalid) { try await service.registerClient(id: "Maija Meikäläinen", by: "o") }
        #expect(try await service.store.auditLog().count == audited)

        for phase in ["aktivointisuunnitelma", "palvelupaatos", "tutustuminen", "tyotoimintajakso", "valiarviointi", "tyotoimintajakso"] {
            try await service.advancePathway(client: "asiakas-1", to: phase, by: "ohjaaja-1")
        }
        let summary = try #require(try await service.clientSummaries(at: Timestamp(microseconds: World.now.microseconds + 86_400_000_000)).first)
        #expect(summary.overdue)
        #expect(summary.phase == "tyotoimintajakso")
        let closed = try await service.closePathway(client: "asiakas-1", outcome: "opinnot", by: "ohjaaja-1")
        #expect(closed.outcome == "opinnot" && closed.phases.count == 7)
        await refused(.conflict) { try await service.advancePathway(client: "asiakas-1", to: "jatkosuunnitelma", by: "o") }
        #expect(try await service.ledger.verifyAudit().isIntact)
    }

    @Test("an assessment is checked against the definitions and joins the open period at a checkpoint")
    func assessments() async throws {
        let (service, cleanup) = try World.service()
        defer { cleanup() }
        try await service.registerClient(id: "asiakas-1", by: "o")
        let period = try await service.startPathway(client: "asiakas-1", by: "o")
        let bad = StoredAssessment(
            id: "alku", assessedAt: World.now, assessor: "ohjaaja-1", evidence: .observed, checkpoint: "no-such-checkpoint",
            levels: [.init(competence: "9.9", level: 2), .init(competence: "1.1", level: 12)])
        await #expect { try await service.recordAssessment(bad, client: "asiakas-1", by: "o") } throws: { error in
            let problems = (error as? CoreError)?.problems ?? []
            return problems.count == 3 && problems.contains { $0.contains("9.9") } && problems.contains { $0.contains("no-such-checkpoint") }
        }
        var good = bad
        good.checkpoint = "alkukartoitus"
        good.levels = [.init(competence: "1.1", level: 2)]
        try await service.recordAssessment(good, client: "asiakas-1", by: "o")
        #expect(try await service.clientFile("asiakas-1").assessments.map(\.period) == [period.id])
        await #expect { try await service.recordAssessment(good, client: "asiakas-1", by: "o") } throws: { ($0 as? CoreError)?.code == .duplicate }
    }

    @Test("a stored client's credential is built in their language, durable before it is returned")
    func issueInClientLanguage() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/tyoelaman-perustaso.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        // Imported clients have no language yet; register a Swedish-speaking one with the same record.
        var record = try await service.clientFile(id)
        record.client = StoredClient(id: "asiakas-sv", language: .sv, registeredAt: World.now)
        try await service.store.importClient(record, by: "test", at: World.now)

        let swedish = try await service.issue(client: "asiakas-sv", badge: "sahkoposti-ja-liitteet", by: "ohjaaja-1")
        let finnish = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "ohjaaja-1")
        // Another language is another credential of the same award: refused while the first is held.
        await #expect { try await service.issue(client: "asiakas-sv", badge: "sahkoposti-ja-liitteet", language: .en, by: "ohjaaja-1") } throws: {
            ($0 as? CoreError)?.code == .conflict && ($0 as? CoreError)?.arguments["credential"] == swedish.id
        }
        let english = try await service.issue(client: "asiakas-sv", badge: "tietoturvan-perusteet", language: .en, by: "ohjaaja-1")
        #expect(swedish.language == .sv && finnish.language == .fi && english.language == .en)
        let names = World.compiled.definitions.badges.first { $0.id == "sahkoposti-ja-liitteet" }!.name
        #expect(payload(swedish).contains(names.text(in: .sv)))
        #expect(payload(finnish).contains(names.text(in: .fi)))
        #expect(payload(english).contains(World.compiled.definitions.badges.first { $0.id == "tietoturvan-perusteet" }!.name.text(in: .en)))
        #expect(try await service.store.credential(id: swedish.id) == swedish)
    }

    @Test("one award per client, badge and format: a second is refused naming the first; replacing revokes it in the same transaction")
    func oneAwardPerBadgeAndFormat() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        _ = try service.keys.generate(.rs256, kid: "rs256-test", now: World.now)
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/tyoelaman-perustaso.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        let first = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o")
        let audited = try await service.store.auditLog().count
        let attempts: [@Sendable () async throws -> IssuedCredential] = [{ try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o") }, {
            try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", formats: [.ob2Signed, .ob3JWT], by: "o")[1]
        }]
        for attempt in attempts {
            await #expect { _ = try await attempt() } throws: { error in
                let error = error as? CoreError
                return error?.code == .conflict && error?.arguments["credential"] == first.id && error?.message.contains(first.id) == true
            }
        }
        #expect(try await service.store.auditLog().count == audited)
        // Another format is another award.
        let twin = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", format: .ob2Signed, by: "o")
        // Replacing: the one held is revoked as replaced, in the transaction that records the new one.
        let second = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", replacing: true, by: "o")
        let file = try await service.clientFile(id)
        #expect(file.isRevoked(first.id) && !file.isRevoked(second.id) && !file.isRevoked(twin.id))
        #expect(file.revocations.first { $0.credentialID == first.id }?.reason == "replaced")
        let log = try await service.store.auditLog().suffix(2)
        #expect(log.map(\.action) == ["credential.revoke", "credential.issue"])
        #expect(log.last?.subject == second.id && log.last?.detail.contains("replaces \(first.id)") == true)
        #expect(try await service.verify(first.bytes).failures.contains { if case .revoked = $0 { true } else { false } })
        // Revoked, or past its validUntil: held no more, and a new one needs no replacing.
        _ = try await service.ledger.revoke(credential: second.id, reason: "withdrawn", by: "o")
        #expect(try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o").id != second.id)
    }

    @Test("status lists: OB 3.0 credentials name their place; suspension set and lifted, revocation, each named by verify")
    func statusLists() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        _ = try service.keys.generate(.edDSA, kid: "ed25519-test", now: World.now)
        _ = try service.keys.generate(.rs256, kid: "rs256-test", now: World.now)
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/tyoelaman-perustaso.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        let token = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "ohjaaja-1")
        let signed = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", format: .ob3LDP, by: "ohjaaja-1")
        let twins = try await service.issue(client: id, badge: "tietoturvan-perusteet", formats: [.ob3LDP, .ob2Signed], by: "ohjaaja-1")
        #expect(token.status != nil && signed.status != nil && token.status != signed.status)
        #expect(twins[0].status != nil && twins[1].status == nil)
        #expect(payload(token).filter { $0 != " " }.contains("\"statusListIndex\":\"\(token.status!.index)\""))
        #expect(try await service.verify(token.bytes).isValid)
        #expect(try await service.verify(signed.bytes).isValid)

        try await service.ledger.suspend(credential: token.id, reason: "tarkistetaan", by: "ohjaaja-1")
        #expect(try await service.verify(token.bytes).failures == [.suspended])
        #expect(try await service.verify(signed.bytes).isValid)
        try await service.ledger.liftSuspension(credential: token.id, by: "ohjaaja-1")
        #expect(try await service.verify(token.bytes).isValid)
        try await service.ledger.revoke(credential: signed.id, reason: "myönnetty erehdyksessä", by: "ohjaaja-1")
        #expect(try await service.verify(signed.bytes).failures.map { if case .revoked = $0 { true } else { false } } == [true])
        for document in try await service.revocationLists() {
            #expect(document.bytes.range(of: Data("myönnetty erehdyksessä".utf8)) == nil, "\(document.path) holds the revocation reason")
        }

        // The published lists: signed, 131,072 entries, the revoked credential's bit set and no other.
        let lists = try await service.revocationLists().filter { $0.path.hasPrefix("status/") && $0.path != "status/revocations.json" }
        #expect(lists.map(\.path).sorted() == ["status/revocation/1.json", "status/suspension/1.json"])
        for list in lists {
            let document = try JSONDecoder().decode(JSONValue.self, from: list.bytes)
            guard case .string(let encoded)? = document["credentialSubject"]?["encodedList"] else {
                Issue.record("no encodedList in \(list.path)")
                continue
            }
            let bits = try BitstringStatusList.decode(encoded)
            #expect(bits.length == BitstringStatusList.minimumLength)
            #expect(bits.setIndexes == (list.path.contains("revocation") ? [signed.status!.index] : []))
            #expect(document["proof"]?.arrayValue?.first?["cryptosuite"] == "eddsa-rdfc-2022")
        }
    }

    @Test("every OB 3.0 credential can be revoked verifiably: keys bring the Ed25519 key the status lists need; without one nothing is issued")
    func statusAlways() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        // ES256 alone was asked for; the folder has an Ed25519 key too, and the credential a status entry.
        #expect(try service.keys.list().contains { $0.algorithm == .edDSA && $0.isActive })
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/tyoelaman-perustaso.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        #expect(try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o").status != nil)
        let first = try #require(try await service.store.credentials().last)
        _ = try await service.ledger.revoke(credential: first.id, reason: "replaced", by: "o")
        // A folder from before, with no Ed25519 key: nothing is issued, and the error says what to do.
        let manifest = service.keys.directory + "/keys.json"
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [[String: Any]])
        try JSONSerialization.data(withJSONObject: entries.filter { $0["alg"] as? String != "EdDSA" }).write(to: URL(fileURLWithPath: manifest))
        let held = try await service.store.credentials().count
        await #expect { try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o") } throws: {
            ($0 as? CoreError)?.message(in: .en).contains("merkisto keys generate --alg EdDSA") == true
        }
        #expect(try await service.store.credentials().count == held)
    }

    @Test("a badge not earned is refused and nothing is written")
    func notEarned() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/aloittelija.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        let audited = try await service.store.auditLog().count
        await #expect(throws: NotEarned.self) { try await service.issue(client: id, badge: "tyoelaman-digitaidot", by: "o") }
        #expect(try await service.store.credentials().isEmpty)
        #expect(try await service.store.auditLog().count == audited)
    }

    @Test("erasure: the record is gone, the credential and its revocation stay")
    func erase() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/tyoelaman-perustaso.json")!)
        let id = try await service.importRecord(bytes, by: "test").client.id
        let issued = try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o")
        try await service.ledger.revoke(credential: issued.id, reason: "väärä merkki", by: "o")
        try await service.eraseClient(id, by: "admin")
        await #expect { try await service.exportRecord(id) } throws: { ($0 as? CoreError)?.code == .conflict }
        await #expect { try await service.issue(client: id, badge: "sahkoposti-ja-liitteet", by: "o") } throws: { ($0 as? CoreError)?.code == .conflict }
        #expect(try await service.ledger.credential(id: issued.id).bytes == issued.bytes)
        #expect(try await service.store.revocations().map(\.credentialID) == [issued.id])
    }

    private func payload(_ credential: IssuedCredential) -> String {
        let parts = String(decoding: credential.bytes, as: UTF8.self).split(separator: ".")
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return String(decoding: Data(base64Encoded: text) ?? Data(), as: UTF8.self)
    }
}

@Suite("Client record builder")
struct ClientRecordBuilderTests {
    @Test("binds ids like the JSON reader and names every problem")
    func problems() throws {
        var builder = ClientRecordBuilder(compiled: World.compiled, client: "asiakas-1")
        builder.addAssessment(
            id: "a", assessedAt: World.now, assessor: "o", evidence: .self, instrument: "digitaitojen-kartoitus", checkpoint: nil,
            responses: [("haku", 2), ("no-item", 1), ("haku", 1), ("hakurajaus", 99)], levels: [], path: "assessments[0]")
        builder.addAward(badge: "no-badge", issuedAt: World.now, validUntil: nil, revoked: false, path: "awards[0]")
        let paths = builder.errors.map(\.path)
        #expect(paths == ["assessments[0].responses[1].item", "assessments[0].responses[2].item", "assessments[0].responses[3].value", "awards[0].badge"])
        #expect(throws: ClientRecordErrors.self) { try builder.build() }
    }

    @Test("a record bound to one definition set is refused by an evaluator of another", .enabled(if: ProcessInfo.processInfo.environment["MERKISTO_EXIT_TESTS"] != "0"))
    func otherDefinitions() async throws {
        await #expect(processExitsWith: .failure) {
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            let definitions = try! DefinitionLoader.load(paths: [repository + "/BadgeDefinitions"]).definitions
            let one = CompiledDefinitions(definitions)
            let other = CompiledDefinitions(definitions)
            var builder = ClientRecordBuilder(compiled: one, client: "asiakas-1")
            builder.addAward(badge: "sahkoposti-ja-liitteet", issuedAt: Timestamp(microseconds: 0), validUntil: nil, revoked: false, path: "awards[0]")
            _ = Evaluator(other).countEarned(try! builder.build(), at: Timestamp(microseconds: 1))
        }
    }
}

@Suite("Dry run and bulk issuing")
struct BulkTests {
    /// The shipped definitions with one badge made harder: competence levels raised from 2 to 3.
    static func harder(_ badge: String) throws -> CompiledDefinitions {
        let folder = NSTemporaryDirectory() + "merkisto-defs-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: World.repository + "/BadgeDefinitions").resolvingSymlinksInPath().path, toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/badges/\(badge).xml"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "min-level=\"2\"", with: "min-level=\"3\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try DefinitionLoader.load(paths: [folder])
        #expect(!result.hasErrors)
        return CompiledDefinitions(result.definitions)
    }

    @Test("the dry run lists exactly the clients whose earned badges differ, as evaluating each client under both sets says", arguments: [false, true])
    func dryRun(sqlite: Bool) async throws {
        let (service, cleanup) = try World.service(sqlite: sqlite)
        defer { cleanup() }
        for path in World.examples { _ = try await service.importRecord([UInt8](FileManager.default.contents(atPath: path)!), by: "test") }
        let other = try Self.harder("sahkoposti-ja-liitteet")
        #expect(other.bindingFingerprint == World.compiled.bindingFingerprint)
        let (changes, clients) = try await service.dryRun(against: other, at: World.now)
        #expect(clients == World.examples.count)
        var expected: [DryRunChange] = []
        for client in try await service.store.clients() {
            let file = try await service.clientFile(client.id)
            let before = Set(Evaluator(World.compiled).earnedBadges(try service.record(of: file), at: World.now))
            let rebound = BadgeService(store: service.store, compiled: other, keys: service.keys)
            let after = Set(Evaluator(other).earnedBadges(try rebound.record(of: file), at: World.now))
            if before != after {
                expected.append(
                    DryRunChange(client: client.id, gained: after.subtracting(before).sorted(), lost: before.subtracting(after).sorted(), unbindable: []))
            }
        }
        #expect(!expected.isEmpty)
        #expect(changes == expected)
        // Harder criteria only take badges away: this one, and collections that depend on it.
        #expect(changes.allSatisfy { $0.lost.contains("sahkoposti-ja-liitteet") && $0.gained.isEmpty })
    }

    @Test("a record rebinds only to a set whose bindings mean the same")
    func rebinding() throws {
        let bytes = [UInt8](FileManager.default.contents(atPath: World.repository + "/examples/clients/edistyja.json")!)
        let record = try ClientRecordReader(definitions: World.compiled).read(Data(bytes))
        let same = CompiledDefinitions(World.compiled.definitions)
        let rebound = try #require(record.rebound(to: same))
        #expect(Evaluator(same).earnedBadges(rebound, at: World.now) == Evaluator(World.compiled).earnedBadges(record, at: World.now))
        // The badges in another order: the attestation and the award still name the same badges.
        var reordered = World.compiled.definitions
        reordered.badges.reverse()
        let other = CompiledDefinitions(reordered)
        let moved = try #require(record.rebound(to: other))
        #expect(!record.attestations.isEmpty && !record.awards.isEmpty)
        #expect(moved.attestations.map { other.badges[$0.badge].id } == record.attestations.map { World.compiled.badges[$0.badge].id })
        #expect(moved.awards.map { other.badges[$0.badge].id } == record.awards.map { World.compiled.badges[$0.badge].id })
        #expect(Set(Evaluator(other).earnedBadges(moved, at: World.now)) == Set(Evaluator(World.compiled).earnedBadges(record, at: World.now)))
        // Without the observation instrument, item indices would mean something else: no rebinding.
        var fewer = World.compiled.definitions
        fewer.instruments.removeAll { $0.id == "havainnointi" }
        #expect(record.rebound(to: CompiledDefinitions(fewer)) == nil)
    }

    @Test("bulk issuing issues every earned badge not held, once, in the client's language, all durable")
    func bulk() async throws {
        let (service, cleanup) = try World.service(keys: true)
        defer { cleanup() }
        for path in World.examples { _ = try await service.importRecord([UInt8](FileManager.default.contents(atPath: path)!), by: "test") }
        var expected: [String: [String]] = [:]
        for client in try await service.store.clients() {
            expected[client.id] = try await service.evaluate(client: client.id).badges.filter { $0.earned && $0.held == nil }.map(\.id).sorted()
        }
        let reports = Counter()
        let result = try await service.issueAllEarned(groupSize: 7, workers: 2, by: "ohjaaja-1") { issued, done, total in reports.add(issued, done, total) }
        #expect(result.failure == nil && result.skipped.isEmpty)
        let stored = try await service.store.credentials()
        #expect(Set(stored.map(\.id)) == Set(result.issued.map(\.id)))
        #expect(Dictionary(grouping: stored, by: \.client).mapValues { $0.map(\.badge).sorted() } == expected.filter { !$0.value.isEmpty })
        #expect(reports.last == (stored.count, World.examples.count, World.examples.count))
        // Everything earned is now held: a second run issues nothing.
        #expect(try await service.issueAllEarned(by: "ohjaaja-1").issued.isEmpty)
        #expect(try await service.ledger.verifyAudit().isIntact)
    }
}

/// Progress reports seen from another thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: (Int, Int, Int) = (0, 0, 0)
    func add(_ issued: Int, _ done: Int, _ total: Int) { lock.withLock { values = (issued, max(values.1, done), total) } }
    var last: (Int, Int, Int) { lock.withLock { values } }
}
