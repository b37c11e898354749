import Foundation
import ZIPFoundation

/// Zip archives the core makes: a definition set kept in the database, everything a client takes with them.
enum Zip {
    /// A zip (deflated) of files in the order given, each with the time `modified`.
    static func make(_ files: [(path: String, bytes: [UInt8])], modified: Date) throws(CoreError) -> [UInt8] {
        do {
            let archive = try Archive(accessMode: .create)
            for file in files {
                let data = Data(file.bytes)
                try archive.addEntry(with: file.path, type: .file, uncompressedSize: Int64(data.count), modificationDate: modified, compressionMethod: .deflate) {
                    position, size in data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            if let data = archive.data { return Array(data) }
        } catch {}
        throw CoreError(.failure, key: "archive.failed")
    }
}
