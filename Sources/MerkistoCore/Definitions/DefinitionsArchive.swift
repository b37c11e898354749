import CompressNIO
import Foundation
import NIOCore
import ZIPFoundation

/// A definition set's files as an archive: what an administrator uploads (a zip, or a gzip'd tar of the
/// folder) and what the database keeps (a zip). Reading is strict and bounded: no absolute paths, no `..`,
/// no links or devices, at most ``maximumFiles`` files and ``maximumBytes`` bytes unpacked.
///
/// The tar reader is our own (docs/decisions/0009): ZIPFoundation reads zips only, and no tar package is
/// among those we can use.
enum DefinitionsArchive {
    struct Entry: Sendable, Hashable {
        /// The path inside the set, `/`-separated, relative.
        var path: String
        var bytes: [UInt8]
    }

    static let maximumFiles = 2000
    static let maximumBytes = 64 << 20

    static func refused(_ reason: String) -> CoreError { CoreError(.invalid, key: "definitions.archive", ["reason": reason]) }

    /// The files of an upload: a zip (`PK`) or a gzip'd tar (`1f 8b`). Folders, and the extra files macOS
    /// adds (`__MACOSX/`, `._*`, `.DS_Store`), are left out; one folder around everything is taken off.
    static func entries(of upload: [UInt8]) throws(CoreError) -> [Entry] {
        var entries: [Entry]
        if upload.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            entries = try zipEntries(upload)
        } else if upload.starts(with: [0x1F, 0x8B]) {
            var buffer = ByteBuffer(bytes: upload)
            let tar: ByteBuffer
            do {
                tar = try buffer.decompress(with: .gzip(), maxSize: maximumBytes + maximumFiles * 1024 + 1024)
            } catch {
                throw refused("the gzip data cannot be read, or unpacks to more than \(maximumBytes >> 20) MB")
            }
            entries = try TarReader.entries(Array(tar.readableBytesView))
        } else {
            throw refused("it is neither a zip nor a gzip'd tar archive")
        }
        entries = entries.filter { entry in
            let name = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            return !entry.path.hasPrefix("__MACOSX/") && !name.hasPrefix("._") && name != ".DS_Store"
        }
        // One folder around everything (the folder itself was packed): taken off.
        let firsts = Set(entries.map { $0.path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? "" })
        if firsts.count == 1, let folder = firsts.first, entries.allSatisfy({ $0.path.hasPrefix(folder + "/") }) {
            entries = entries.map { Entry(path: String($0.path.dropFirst(folder.count + 1)), bytes: $0.bytes) }
        }
        guard !entries.isEmpty else { throw refused("it holds no files") }
        return entries.sorted { $0.path < $1.path }
    }

    /// A path from an archive, checked: relative, no `.` or `..` parts, nothing but printable characters.
    static func checkedPath(_ raw: String) throws(CoreError) -> String {
        let path = raw.hasPrefix("./") ? String(raw.dropFirst(2)) : raw
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" }), path.utf8.count <= 1024
        else { throw refused("the path \"\(raw.prefix(200))\" is not allowed (absolute, or with . or ..)") }
        return path
    }

    private static func zipEntries(_ bytes: [UInt8]) throws(CoreError) -> [Entry] {
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw refused("the zip archive cannot be read")
        }
        var entries: [Entry] = []
        var total = 0
        for entry in archive {
            switch entry.type {
            case .directory: continue
            case .symlink: throw refused("\(entry.path) is a link")
            case .file: break
            }
            let path = try checkedPath(entry.path)
            guard entries.count < maximumFiles else { throw refused("it holds more than \(maximumFiles) files") }
            // The sizes the archive declares bound what is read; the reader stops at them.
            total += Int(clamping: entry.uncompressedSize)
            guard total <= maximumBytes else { throw refused("it unpacks to more than \(maximumBytes >> 20) MB") }
            var data = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    data.append(chunk)
                    if data.count > Int(clamping: entry.uncompressedSize) { throw Oversized() }
                }
            } catch {
                throw refused("\(path) cannot be unpacked")
            }
            entries.append(Entry(path: path, bytes: Array(data)))
        }
        return entries
    }

    private struct Oversized: Error {}

    /// The system's words for a file error (`No space left on device`), without the paths Foundation adds.
    static func cause(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain, let text = strerror(Int32(underlying.code)) { return String(cString: text) }
        return (error as NSError).localizedFailureReason ?? "error \((error as NSError).code)"
    }

    /// A zip of the entries, in path order, each with the same time: the same files make the same bytes.
    static func zip(_ entries: [Entry]) throws(CoreError) -> [UInt8] {
        try Zip.make(entries.sorted { $0.path < $1.path }.map { ($0.path, $0.bytes) }, modified: Date(timeIntervalSince1970: 1_577_836_800))
    }

    /// The regular files under a folder (hidden ones left out), as entries.
    static func entries(ofFolder given: String) throws(CoreError) -> [Entry] {
        // The folder may be a link to one (BadgeDefinitions is): its files are read through it.
        let folder = URL(fileURLWithPath: given).resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { throw CoreError(.conflict, key: "definitions.unreadable", ["folder": folder]) }
        var entries: [Entry] = []
        while let path = enumerator.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator.skipDescendants() }
                continue
            }
            guard (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
            guard let data = FileManager.default.contents(atPath: folder + "/" + path) else {
                throw CoreError(.conflict, key: "definitions.unreadable", ["folder": folder])
            }
            entries.append(Entry(path: path, bytes: Array(data)))
        }
        guard !entries.isEmpty else { throw CoreError(.conflict, key: "definitions.unreadable", ["folder": given]) }
        return entries.sorted { $0.path < $1.path }
    }

    /// Writes the entries under `folder` (made anew).
    static func write(_ entries: [Entry], to folder: String) throws(CoreError) {
        do {
            try? FileManager.default.removeItem(atPath: folder)
            for entry in entries {
                let path = folder + "/" + (try checkedPath(entry.path))
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(entry.bytes).write(to: URL(fileURLWithPath: path))
            }
        } catch let error as CoreError {
            throw error
        } catch {
            // Why, as the system says it (a full disk, a read-only one).
            throw CoreError(.failure, key: "definitions.unpack", ["folder": (folder as NSString).lastPathComponent, "cause": Self.cause(error)])
        }
    }
}

/// Reads a tar archive (POSIX ustar, with pax and GNU long names): regular files only.
enum TarReader {
    static func entries(_ bytes: [UInt8]) throws(CoreError) -> [DefinitionsArchive.Entry] {
        var entries: [DefinitionsArchive.Entry] = []
        var offset = 0
        var longName: String?
        var total = 0
        func field(_ header: ArraySlice<UInt8>, _ start: Int, _ length: Int) -> ArraySlice<UInt8> {
            let slice = header[(header.startIndex + start)..<(header.startIndex + start + length)]
            return slice.prefix { $0 != 0 }
        }
        func octal(_ slice: ArraySlice<UInt8>) -> Int? {
            let digits = slice.filter { $0 != 0x20 }
            guard !digits.isEmpty, digits.count <= 11, digits.allSatisfy({ (0x30...0x37).contains($0) }) else { return nil }
            return digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
        }
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<(offset + 512)]
            // The end: a block of zeros.
            if header.allSatisfy({ $0 == 0 }) { break }
            // The checksum: the header's bytes summed with its own field as spaces.
            let sum = header.enumerated().reduce(0) { $0 + (($1.offset >= 148 && $1.offset < 156) ? 0x20 : Int($1.element)) }
            guard let checksum = octal(field(header, 148, 8)), checksum == sum else { throw DefinitionsArchive.refused("the tar archive is damaged") }
            guard let size = octal(field(header, 124, 12)) else { throw DefinitionsArchive.refused("the tar archive is damaged") }
            let type = header[header.startIndex + 156]
            let dataStart = offset + 512
            let dataEnd = dataStart + size
            guard dataEnd <= bytes.count else { throw DefinitionsArchive.refused("the tar archive ends too soon") }
            let data = bytes[dataStart..<dataEnd]
            offset = dataStart + (size + 511) / 512 * 512
            var name = String(decoding: field(header, 0, 100), as: UTF8.self)
            if field(header, 257, 5).elementsEqual(Array("ustar".utf8)) {
                let prefix = String(decoding: field(header, 345, 155), as: UTF8.self)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                guard entries.count < DefinitionsArchive.maximumFiles else {
                    throw DefinitionsArchive.refused("it holds more than \(DefinitionsArchive.maximumFiles) files")
                }
                total += size
                guard total <= DefinitionsArchive.maximumBytes else { throw DefinitionsArchive.refused("it unpacks to more than \(DefinitionsArchive.maximumBytes >> 20) MB") }
                let path = try DefinitionsArchive.checkedPath(longName ?? name)
                longName = nil
                entries.append(.init(path: path, bytes: Array(data)))
            case UInt8(ascii: "5"):
                longName = nil
            case UInt8(ascii: "L"):
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "x"):
                // A pax header for the next entry: its `path` record, if any, is the next entry's name.
                longName = paxPath(Array(data)) ?? longName
            case UInt8(ascii: "g"):
                continue
            default:
                throw DefinitionsArchive.refused("\(name.prefix(200)) is a link or a special file")
            }
        }
        return entries
    }

    /// The `path` of pax records (`LENGTH KEY=VALUE\n` each).
    private static func paxPath(_ data: [UInt8]) -> String? {
        var index = 0
        var path: String?
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 0x20), let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                index + length <= data.count
            else { break }
            let record = String(decoding: data[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if record.hasPrefix("path=") { path = String(record.dropFirst("path=".count)) }
            index += length
        }
        return path
    }
}
