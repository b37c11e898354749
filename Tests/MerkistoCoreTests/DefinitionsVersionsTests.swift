import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage
import Testing
import ZIPFoundation

@Suite("Definitions as versions: uploaded, linted, kept by digest, tried, activated, rolled back")
struct DefinitionsVersionsTests {
    /// The shipped definitions as entries, with `change` made to one file's text.
    static func files(_ change: (path: String, from: String, to: String)? = nil) throws -> [(String, Data)] {
        let folder = World.repository + "/Sources/DemoContent/BadgeDefinitions"
        var files: [(String, Data)] = []
        for path in try FileManager.default.subpathsOfDirectory(atPath: folder).sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            var data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
            if let change, change.path == path {
                let text = String(decoding: data, as: UTF8.self)
                #expect(text.contains(change.from))
                data = Data(text.replacingOccurrences(of: change.from, with: change.to).utf8)
            }
            files.append((path, data))
        }
        return files
    }

    /// A zip of the files inside a folder named `BadgeDefinitions/` (as zipping the folder makes), by ZIPFoundation.
    static func zip(_ files: [(String, Data)]) throws -> [UInt8] {
        let archive = try Archive(accessMode: .create)
        for (path, data) in files {
            try archive.addEntry(with: "BadgeDefinitions/" + path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return Array(try #require(archive.data))
    }

    /// A gzip'd tar of the files, made by the system's tar (an implementation we did not write).
    static func tarGz(_ files: [(String, Data)]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-tar-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (path, data) in files {
            let file = folder + "/BadgeDefinitions/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: file))
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-czf", folder + "/set.tar.gz", "-C", folder, "BadgeDefinitions"]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/set.tar.gz")))
    }

    static func live() async throws -> (live: LiveService, world: (service: BadgeService, cleanup: () -> Void, instructor: Actor, other: Actor, admin: Actor, client: Actor), cleanup: () -> Void) {
        let world = try await AttestationTests.world(keys: true)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-versions-\(UUID().uuidString)").path
        let live = LiveService(world.service, definitionsDirectory: World.repository + "/BadgeDefinitions", versionsFolder: folder)
        try await live.startDefinitions(by: "test")
        return (live, world, { world.cleanup(); try? FileManager.default.removeItem(atPath: folder) })
    }

    @Test("a second server on the same store and key folder follows what the first changes: the definitions put in use, a key made")
    func followAnotherServer() async throws {
        let (first, world, cleanup) = try await Self.live()
        defer { cleanup() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-versions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The other server: its own service (and memory) over the same store and keys.
        let second = LiveService(first.current.renewed(), definitionsDirectory: nil, versionsFolder: folder)
        #expect(try await second.follow() == false)
        let changed = try Self.zip(try Self.files(("badges/tyonhaku-verkossa.xml", #"ref="3.1" min-level="2""#, #"ref="3.1" min-level="5""#)))
        let digest = try #require(try await first.uploadDefinitions(changed, as: world.admin).digest)
        #expect(try await second.follow() == false)  // kept, not yet in use
        try await first.activateDefinitions(digest, as: world.admin)
        #expect(second.current.compiled.digest != digest)
        #expect(try await second.follow() == true)
        #expect(second.current.compiled.digest == digest)
        // A key made at the first server is the second's to publish and sign with after it follows.
        let key = try await first.generateKey(.rs256, kid: "followed-rs256", as: world.admin)
        #expect(try await second.follow() == true)
        #expect(try await second.keys(as: world.admin).contains { $0.kid == key.kid })
        #expect(try await second.follow() == false)
    }

    @Test("a set with an error is refused with located diagnostics and kept nowhere; the fixed set is kept, tried, activated and rolled back")
    func uploadTryActivateRollBack() async throws {
        let (live, world, cleanup) = try await Self.live()
        defer { cleanup() }
        let first = live.current.compiled.digest
        #expect(try await live.definitionsVersions(as: world.admin).map(\.version.digest) == [first])
        try await live.current.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor)
        let credential = try await live.current.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3JWT, by: "test")

        // An unknown competence: refused, located in the set's own file.
        let broken = try Self.zip(try Self.files(("badges/tyonhaku-verkossa.xml", #"ref="3.1" min-level="2""#, #"ref="9.9" min-level="2""#)))
        let refused = try await live.uploadDefinitions(broken, as: world.admin)
        #expect(refused.digest == nil)
        let error = try #require(refused.diagnostics.first { $0.severity == .error })
        #expect(error.location.file == "badges/tyonhaku-verkossa.xml" && error.location.line == 19 && error.location.column > 0)
        #expect(try await live.definitionsVersions(as: world.admin).count == 1)

        // Fixed (3.1 raised to level 5), as a gzip'd tar: kept, not yet in use.
        let fixed = try Self.tarGz(try Self.files(("badges/tyonhaku-verkossa.xml", #"ref="3.1" min-level="2""#, #"ref="3.1" min-level="5""#)))
        let kept = try await live.uploadDefinitions(fixed, as: world.admin)
        let second = try #require(kept.digest)
        #expect(kept.added && second != first)
        #expect(try await live.uploadDefinitions(fixed, as: world.admin).added == false)
        #expect(try await live.definitionsVersions(as: world.admin).map(\.active) == [true, false])
        // The dry run: the client would lose the badge.
        let (changes, _) = try await live.dryRunDefinitions(version: second, as: world.admin)
        #expect(changes.first { $0.client == "asiakas-1" }?.lost == ["tyonhaku-verkossa"])
        // Only administrators.
        await #expect { try await live.activateDefinitions(second, as: world.instructor) } throws: { ($0 as? CoreError)?.code == .forbidden }
        try await live.activateDefinitions(second, as: world.admin)
        #expect(live.current.compiled.digest == second)
        #expect(try await live.current.evaluate(client: "asiakas-1").badges.first { $0.id == "tyonhaku-verkossa" }?.earned == false)
        // The award is replayed under the set it was decided under, not the one in use.
        let replay = try await live.replayAward(credential.id, as: world.instructor)
        #expect(replay.earned && replay.credential.definitionsDigest == first)
        await #expect { try await live.replayAward(credential.id, as: world.client) } throws: { ($0 as? CoreError)?.code == .forbidden }
        // Rolling back is activating the first again.
        try await live.activateDefinitions(first, as: world.admin)
        #expect(live.current.compiled.digest == first)
        let actions = try await live.current.store.auditLog().map(\.action).filter { $0.hasPrefix("definitions.") }
        #expect(actions == ["definitions.upload", "definitions.activate", "definitions.upload", "definitions.activate", "definitions.activate"])
    }

    @Test("a kept set's folder, removed, is unpacked again from the database")
    func unpackedAgain() async throws {
        let (live, world, cleanup) = try await Self.live()
        defer { cleanup() }
        let upload = try await live.uploadDefinitions(
            try Self.zip(try Self.files(("badges/tyonhaku-verkossa.xml", #"ref="3.1" min-level="2""#, #"ref="3.1" min-level="4""#))), as: world.admin)
        let digest = try #require(upload.digest)
        try? FileManager.default.removeItem(atPath: live.versionsFolder + "/" + digest)
        try await live.activateDefinitions(digest, as: world.admin)
        #expect(live.current.compiled.digest == digest)
        #expect(FileManager.default.fileExists(atPath: live.versionsFolder + "/" + digest + "/badges/tyonhaku-verkossa.xml"))
    }

    @Test("archives that reach outside their folder, hold links, or are not archives are refused", arguments: ["../evil.xml", "/etc/evil.xml", "a/../../evil.xml"])
    func hostileArchives(path: String) async throws {
        let (live, world, cleanup) = try await Self.live()
        defer { cleanup() }
        let archive = try Archive(accessMode: .create)
        let data = Data("<x/>".utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
        await #expect { try await live.uploadDefinitions(Array(try #require(archive.data)), as: world.admin) } throws: { ($0 as? CoreError)?.key == "definitions.archive" }
        await #expect { try await live.uploadDefinitions(Array("not an archive".utf8), as: world.admin) } throws: { ($0 as? CoreError)?.key == "definitions.archive" }
        #expect(!FileManager.default.fileExists(atPath: live.versionsFolder + "/../evil.xml"))
    }
}
