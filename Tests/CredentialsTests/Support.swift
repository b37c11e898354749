import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Storage
import Testing

/// Shared set-up: the shipped definitions, an example client, keys in a temporary folder.
enum Setup {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let compiled: CompiledDefinitions = {
        let result = try! DefinitionLoader.load(paths: [repository + "/BadgeDefinitions"])
        precondition(!result.hasErrors)
        return CompiledDefinitions(result.definitions)
    }()

    /// A client who has earned every badge (see examples/clients).
    static let client: ClientRecord = {
        let data = FileManager.default.contents(atPath: repository + "/examples/clients/tyoelaman-perustaso.json")!
        return try! ClientRecordReader(definitions: compiled).read(data)
    }()

    static let beginner: ClientRecord = {
        let data = FileManager.default.contents(atPath: repository + "/examples/clients/aloittelija.json")!
        return try! ClientRecordReader(definitions: compiled).read(data)
    }()

    static let now = time("2026-11-22T12:00:00+02:00")

    static func time(_ text: String) -> Timestamp {
        guard case .success(let time) = Timestamp.parse(text) else { preconditionFailure(text) }
        return time
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "merkisto-credentials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A folder with one key of each algorithm.
    static func keyStore(in directory: String) throws -> KeyStore {
        let store = KeyStore(directory: directory + "/keys")
        // Ed25519 first: otherwise the first key would bring one of its own for the status lists.
        for algorithm in SigningAlgorithm.allCases.sorted(by: { ($0 == .edDSA ? 0 : 1) < ($1 == .edDSA ? 0 : 1) }) {
            try store.generate(algorithm, kid: algorithm.rawValue.lowercased() + "-test", now: now)
        }
        return store
    }

    /// A 4×4 PNG written with stored (uncompressed) deflate blocks.
    static func tinyPNG() -> Data {
        func be(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func crc(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] { be(UInt32(data.count)) + Array(type.utf8) + data + be(crc(Array(type.utf8) + data)) }
        let raw: [UInt8] = (0..<4).flatMap { _ in [0] + Array(repeating: [20, 80, 160, 255], count: 4).flatMap { $0 } }
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let length = UInt16(raw.count)
        let zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + raw + be(b << 16 | a)
        let header = be(4) + be(4) + [8, 6, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", []))
    }
}
