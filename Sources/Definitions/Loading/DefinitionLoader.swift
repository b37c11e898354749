import Basics
import Foundation

/// The result of loading a definition set: the checked model and every diagnostic found on the way.
public struct LoadResult: Sendable {
    public var definitions: DefinitionSet
    public var diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A problem that stops loading before any file is checked (a path that does not exist).
public struct DefinitionPathError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path): no such file or folder" }
}

/// Loads definition files: reads and validates each file, builds the model, then checks the whole set.
///
/// This is the compiler pipeline of DESIGN.md §2 up to the checked model:
/// files → ``SafeXMLParser`` (well-formedness, limits, XSD) → ``ModelBuilder`` (typed model, translations)
/// → ``Linter`` (references, meaning). Files are parsed in parallel; the result does not depend on the order.
public enum DefinitionLoader {
    /// Loads every `*.xml` file below the given files and folders; references resolve across all of them.
    ///
    /// - Throws: ``DefinitionPathError`` when a given path does not exist.
    public static func load(paths: [String]) throws -> LoadResult {
        let files = try discover(paths: paths)
        return load(files: files)
    }

    /// The `*.xml` files below the given paths, sorted, each with the path to show in diagnostics. A file
    /// named twice (directly, or inside a folder also named) counts once.
    public static func discover(paths: [String]) throws -> [(path: String, display: String)] {
        var found: [(path: String, display: String)] = []
        var seen = Set<String>()
        let workingDirectory = FileManager.default.currentDirectoryPath
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else { throw DefinitionPathError(path: path) }
            // The path with its dot segments resolved, once: what is below it only adds plain names.
            let standardized = FilePaths.standardized(path, in: workingDirectory)
            if status.st_mode & S_IFMT != S_IFDIR {
                if seen.insert(standardized).inserted { found.append((path, path)) }
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            // A folder lists each name once, so only a second path can name a file again.
            for relative in FilePaths.sortedByBytes(xmlFiles(below: base))
            where paths.count == 1 || seen.insert(standardized + "/" + relative).inserted {
                let file = base + "/" + relative
                found.append((file, file))
            }
        }
        return found
    }

    /// The regular `*.xml` files below a folder (through symbolic links to files, not to folders), by path
    /// relative to it: one `readdir` per folder, no `stat` but for links.
    private static func xmlFiles(below folder: String) -> [String] {
        var files: [String] = []
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? folder : folder + "/" + relative
            guard let handle = opendir(directory) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                // The name's bytes: "." and "..", and whether it ends in ".xml", are seen before a string is made.
                let (name, isXML): (String?, Bool) = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    let bytes = raw.prefix { $0 != 0 }
                    if bytes.elementsEqual(".".utf8) || bytes.elementsEqual("..".utf8) { return (nil, false) }
                    let isXML = bytes.count >= 4 && bytes.suffix(4).elementsEqual(".xml".utf8)
                    let type = Int32(entry.pointee.d_type)
                    if type == Int32(DT_REG), !isXML { return (nil, false) }
                    return (String(decoding: bytes, as: UTF8.self), isXML)
                }
                guard let name else { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_DIR):
                    pending.append(path)
                case Int32(DT_REG):
                    files.append(path)  // an .xml file (others were passed over above)
                default:
                    // A link or an entry of unknown type: what it is, followed.
                    var status = stat()
                    guard isXML || Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN), stat(folder + "/" + path, &status) == 0 else { continue }
                    if status.st_mode & S_IFMT == S_IFREG, isXML {
                        files.append(path)
                    } else if status.st_mode & S_IFMT == S_IFDIR, Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN) {
                        pending.append(path)
                    }
                }
            }
        }
        return files
    }

    /// Loads the given files: each is read, checked against its schema and built into the model on one of
    /// the worker threads; the checks across files follow on the calling thread.
    public static func load(files: [(path: String, display: String)]) -> LoadResult {
        let workingDirectory = FileManager.default.currentDirectoryPath
        let results = WorkSlots<FileResult>(count: files.count)
        // One parser per worker, each taking the next file until none is left.
        let workers = min(files.count, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let parser = SafeXMLParser()
            var images = Linter.ImageFiles()
            var done: [(Int, FileResult)] = []
            while let index = results.claim() {
                let file = files[index]
                let result = read(directory: FilePaths.directory(of: file.path, in: workingDirectory), images: &images) {
                    parser.parseFile(atPath: file.path, displayPath: file.display, root: $0)
                }
                done.append((index, result))
            }
            results.set(done)
        }
        return link(results.values.map { $0! }, files: files.map(\.display))
    }

    /// Loads documents already in memory, each shown as `display` in diagnostics; files they name (badge
    /// images) are looked for in `directory`.
    public static func load(documents: [(bytes: [UInt8], display: String)], directory: String) -> LoadResult {
        let absolute = FilePaths.standardized(directory, in: FileManager.default.currentDirectoryPath)
        let parser = SafeXMLParser()
        var images = Linter.ImageFiles()
        let results = documents.map { document in
            read(directory: absolute, images: &images) { parser.parse(bytes: document.bytes, displayPath: document.display, root: $0) }
        }
        return link(results, files: documents.map(\.display))
    }

    /// What one file gave: its definition when it could be built, and its own diagnostics.
    private struct FileResult: Sendable {
        var definition: Definition?
        var diagnostics: [Diagnostic]
    }

    private indirect enum Definition: Sendable {
        case framework(Framework), instrument(Instrument), badge(Badge), issuer(Issuer), pathway(Pathway)
    }

    /// One file read by `parse` and, when it is valid, built while its document is alive.
    private static func read(
        directory: String, images: inout Linter.ImageFiles, parse: (SafeXMLParser.RootHandler) -> SafeXMLParser.Output
    ) -> FileResult {
        var result = FileResult(diagnostics: [])
        let output = parse { kind, root in result = build(kind, root, directory: directory, images: &images) }
        result.diagnostics = output.diagnostics + result.diagnostics
        return result
    }

    /// The model of one parsed file, with the checks that need no other file; `images` remembers which
    /// image files exist (many badges share one).
    private static func build(_ kind: DefinitionKind, _ root: RawElement, directory: String, images: inout Linter.ImageFiles) -> FileResult {
        var builder = ModelBuilder(directory: directory)
        let definition: Definition
        switch kind {
        case .framework: definition = .framework(builder.framework(root))
        case .instrument: definition = .instrument(builder.instrument(root))
        case .badge:
            let badge = builder.badge(root)
            Linter.checkOnItsOwn(badge, images: &images, into: &builder.diagnostics)
            definition = .badge(badge)
        case .issuer: definition = .issuer(builder.issuer(root))
        case .pathway: definition = .pathway(builder.pathway(root))
        }
        return FileResult(definition: definition, diagnostics: builder.diagnostics.diagnostics)
    }

    /// The definition set from every file's model, checked across files.
    private static func link(_ results: consuming [FileResult], files: [String]) -> LoadResult {
        var definitions = DefinitionSet(files: files)
        var diagnostics: [Diagnostic] = []
        results.reverse()
        // Taken out one by one (not copied): a model can be large.
        while let result = results.popLast() {
            diagnostics.append(contentsOf: result.diagnostics)
            switch result.definition {
            case .framework(let framework): definitions.frameworks.append(framework)
            case .instrument(let instrument): definitions.instruments.append(instrument)
            case .badge(let badge): definitions.badges.append(badge)
            case .issuer(let issuer): definitions.issuers.append(issuer)
            case .pathway(let pathway): definitions.pathways.append(pathway)
            case nil: break
            }
        }
        diagnostics.append(contentsOf: Linter(definitions).run())
        return LoadResult(definitions: definitions, diagnostics: diagnostics.sortedByLocation())
    }
}

/// File paths made absolute and free of `.` and `..` by their text alone, as `URL.standardizedFileURL`
/// makes them (the tests compare the two) but without Foundation's URL machinery, which took a tenth of
/// linting 2,000 badges.
enum FilePaths {
    /// The path made absolute against `workingDirectory`, with `.`, `..` and repeated slashes resolved.
    /// Written straight into the new string's storage (each folder's every file asks, and each image path).
    static func standardized(_ path: String, in workingDirectory: String) -> String {
        var path = path
        var workingDirectory = workingDirectory
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        return path.withUTF8 { path in
            workingDirectory.withUTF8 { workingDirectory in
                let relative = path.first != slash
                return String(unsafeUninitializedCapacity: (relative ? workingDirectory.count + 1 : 0) + path.count + 1) { output in
                    var count = 0
                    func append(componentsOf input: UnsafeBufferPointer<UInt8>) {
                        var index = 0
                        while index < input.count {
                            while index < input.count, input[index] == slash { index += 1 }
                            let start = index
                            while index < input.count, input[index] != slash { index += 1 }
                            switch index - start {
                            case 0:
                                continue
                            case 1 where input[start] == dot:
                                continue
                            case 2 where input[start] == dot && input[start + 1] == dot:
                                // Up one: drop the last name and its slash (nothing above the root).
                                while count > 0 {
                                    count -= 1
                                    if output[count] == slash { break }
                                }
                            default:
                                output[count] = slash
                                count += 1
                                for offset in start..<index { output[count + offset - start] = input[offset] }
                                count += index - start
                            }
                        }
                    }
                    if relative { append(componentsOf: workingDirectory) }
                    append(componentsOf: path)
                    if count == 0 {
                        output[0] = slash
                        count = 1
                    }
                    return count
                }
            }
        }
    }

    /// The paths sorted by their UTF-8 bytes: the order of their Unicode scalars, which is `<`'s order for
    /// names in composed form (the usual form of file names) without `<`'s normalizing on every comparison.
    static func sortedByBytes(_ paths: [String]) -> [String] {
        var keyed = paths.map { (bytes: Array($0.utf8), path: $0) }
        keyed.sort { left, right in
            left.bytes.withUnsafeBufferPointer { left in
                right.bytes.withUnsafeBufferPointer { right in
                    let common = min(left.count, right.count)
                    let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
                    return order != 0 ? order < 0 : left.count < right.count
                }
            }
        }
        return keyed.map(\.path)
    }

    /// The standardized folder a file is in.
    static func directory(of path: String, in workingDirectory: String) -> String {
        standardized(path + "/..", in: workingDirectory)
    }
}
