import Basics
import Credentials
import Definitions
import Evaluation
import MerkistoCore
import Storage
import Testing
import Foundation
import ZIPFoundation

@Suite("Data-subject rights: an administrator imports, exports and erases client records")
struct DataSubjectTests {
    @Test("an import takes each file whole or not at all: a refused file stores nothing, with its problems located, and the others go in")
    func importEachFileWhole() async throws {
        let world = try await AttestationTests.world()
        defer { world.cleanup() }
        let service = world.service
        let good = #"{"client": "tuotu-1", "assessments": [{"id": "a-1", "assessedAt": "2026-11-02T10:00:00+02:00", "assessor": "ohjaaja-1", "evidence": "observed", "levels": [{"competence": "1.1", "level": 3}]}]}"#
        // The second assessment names a competence the definitions do not have: the whole file is refused.
        let bad = #"{"client": "tuotu-2", "assessments": [{"id": "b-1", "assessedAt": "2026-11-02T10:00:00+02:00", "assessor": "itse", "evidence": "self", "levels": [{"competence": "1.1", "level": 2}]}, {"id": "b-2", "assessedAt": "2026-11-02T10:00:00+02:00", "assessor": "itse", "evidence": "self", "levels": [{"competence": "9.9", "level": 2}]}]}"#
        let audited = try await service.store.auditLog().count
        let files = try await service.importRecords([("hyva.json", Array(good.utf8)), ("huono.json", Array(bad.utf8))], as: world.admin)
        #expect(files.map(\.name) == ["hyva.json", "huono.json"])
        let imported = try files[0].result.get()
        #expect(imported.client.id == "tuotu-1" && imported.assessments.count == 1)
        guard case .failure(let error) = files[1].result else { Issue.record("the bad file went in"); return }
        #expect(error.problems.contains { $0.contains("assessments[1]") })
        #expect(try await service.clientFile("tuotu-1").assessments.map(\.id) == ["a-1"])
        await #expect(throws: CoreError.self) { try await service.clientFile("tuotu-2") }
        // One audit entry: the imported client.
        #expect(try await service.store.auditLog().count == audited + 1)
        // Only administrators import.
        for actor in [world.instructor, world.client] {
            await #expect { try await service.importRecords([("toinen.json", Array(good.utf8))], as: actor) } throws: { ($0 as? CoreError)?.code == .forbidden }
        }
        // The same client again is refused as a duplicate, and the first import stands.
        guard case .failure(let duplicate) = try await service.importRecords([("hyva.json", Array(good.utf8))], as: world.admin)[0].result else {
            Issue.record("a second import of the same client went in"); return
        }
        #expect(duplicate.code == .duplicate)
    }

    @Test("an export holds the record and every credential as issued; erasing asks for the id typed, then leaves nothing to export")
    func exportThenErase() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let credential = try await AttestationTests.awarded(world)
        await #expect { try await service.exportClient("asiakas-1", as: world.instructor) } throws: { ($0 as? CoreError)?.code == .forbidden }
        let export = try await service.exportClient("asiakas-1", as: world.admin)
        #expect(export.credentials.map(\.bytes) == [credential.bytes])
        await #expect(export.record == (try service.exportRecord("asiakas-1")))
        await #expect { try await service.eraseClient("asiakas-1", confirm: "asiakas-2", as: world.admin) } throws: { ($0 as? CoreError)?.key == "erase.confirm" }
        #expect(try await service.clientFile("asiakas-1").client.erasedAt == nil)
        try await service.eraseClient("asiakas-1", confirm: "asiakas-1", as: world.admin)
        #expect(try await service.clientFile("asiakas-1").client.erasedAt != nil)
        await #expect { try await service.exportClient("asiakas-1", as: world.admin) } throws: { ($0 as? CoreError)?.key == "client.erasedExport" }
        #expect(try await service.store.auditLog().suffix(2).map(\.action).contains("client.erase"))
    }

    /// The files of a zip by path (read back with ZIPFoundation's reader).
    static func unzip(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        let archive = try Archive(data: Data(bytes), accessMode: .read)
        var files: [String: [UInt8]] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            files[entry.path] = Array(data)
        }
        return files
    }

    @Test("the client takes everything: a zip with the record, each valid credential's files as issued, baked images and a README in their language")
    func holderArchive() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor)
        // A revoked one stays out: the archive holds what passes a check.
        let revoked = try await service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3JWT, by: "test")
        _ = try await service.ledger.revoke(credential: revoked.id, reason: "test", by: "test")
        let jwt = try await service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3JWT, by: "test")
        let hosted = try await service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob2Hosted, by: "test")
        for actor in [world.instructor, world.admin] {
            await #expect { try await service.holderArchive(as: actor) } throws: { ($0 as? CoreError)?.key == "holder.clientOnly" }
        }
        let archive = try await service.holderArchive(language: .sv, as: world.client)
        #expect(archive.fileName == "merkisto-asiakas-1.zip")
        let files = try Self.unzip(archive.bytes)
        let folder = "merkisto-asiakas-1/"
        #expect(Set(files.keys) == Set(archive.paths))
        await #expect(files[folder + "record.json"] == (try service.exportRecord("asiakas-1")))
        #expect(files[folder + "badges/tyonhaku-verkossa/credential.jwt"] == jwt.bytes)
        #expect(files[folder + "badges/tyonhaku-verkossa/assertion.json"] == hosted.bytes)
        let payload = try #require(files[folder + "badges/tyonhaku-verkossa/credential.json"])
        #expect((try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])?["id"] as? String == jwt.id)
        // The badge's picture baked in both forms it has: the SVG and the PNG beside it.
        let png = try #require(files[folder + "badges/tyonhaku-verkossa/badge.png"])
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && String(decoding: png, as: UTF8.self).contains("openbadges"))
        let svg = String(decoding: try #require(files[folder + "badges/tyonhaku-verkossa/badge.svg"]), as: UTF8.self)
        #expect(svg.contains("openbadges:credential") || svg.contains("openbadges:assertion"))
        #expect(!files.values.contains(revoked.bytes))
        let readme = String(decoding: try #require(files[folder + "README.txt"]), as: UTF8.self)
        #expect(readme.contains("alla uppgifter som Merkisto har om dig"))
        for path in archive.paths where path != folder + "README.txt" {
            #expect(readme.contains(String(path.split(separator: "/").last!)), "\(path) is not in the README")
        }
    }
}
