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
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else { throw DefinitionPathError(path: path) }
            // The path with its dot segments resolved, once: what is below it only adds plain names.
            let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
            if status.st_mode & S_IFMT != S_IFDIR {
                if seen.insert(standardized).inserted { found.append((path, path)) }
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            for relative in xmlFiles(below: base).sorted() where seen.insert(standardized + "/" + relative).inserted {
                found.append((base + "/" + relative, base + "/" + relative))
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
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_DIR):
                    pending.append(path)
                case Int32(DT_REG):
                    if name.hasSuffix(".xml") { files.append(path) }
                default:
                    // A link or an entry of unknown type: what it is, followed.
                    var status = stat()
                    guard name.hasSuffix(".xml") || Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN), stat(folder + "/" + path, &status) == 0 else { continue }
                    if status.st_mode & S_IFMT == S_IFREG, name.hasSuffix(".xml") {
                        files.append(path)
                    } else if status.st_mode & S_IFMT == S_IFDIR, Int32(entry.pointee.d_type) == Int32(DT_UNKNOWN) {
                        pending.append(path)
                    }
                }
            }
        }
        return files
    }

    /// Loads the given files.
    public static func load(files: [(path: String, display: String)]) -> LoadResult {
        let outputs = parseAll(files)
        return build(files.map { (display: $0.display, directory: URL(fileURLWithPath: $0.path).deletingLastPathComponent().path) }, outputs)
    }

    /// Loads documents already in memory, each shown as `display` in diagnostics; files they name (badge
    /// images) are looked for in `directory`.
    public static func load(documents: [(bytes: [UInt8], display: String)], directory: String) -> LoadResult {
        let outputs = documents.map { SafeXMLParser.parse(bytes: $0.bytes, displayPath: $0.display) }
        return build(documents.map { (display: $0.display, directory: directory) }, outputs)
    }

    private static func build(_ files: [(display: String, directory: String)], _ outputs: [SafeXMLParser.Output]) -> LoadResult {
        var definitions = DefinitionSet(files: files.map(\.display))
        var diagnostics: [Diagnostic] = []
        for (file, output) in zip(files, outputs) {
            diagnostics.append(contentsOf: output.diagnostics)
            guard let root = output.root, let kind = output.kind else { continue }
            var builder = ModelBuilder(directory: file.directory)
            switch kind {
            case .framework: definitions.frameworks.append(builder.framework(root))
            case .instrument: definitions.instruments.append(builder.instrument(root))
            case .badge: definitions.badges.append(builder.badge(root))
            case .issuer: definitions.issuers.append(builder.issuer(root))
            case .pathway: definitions.pathways.append(builder.pathway(root))
            }
            diagnostics.append(contentsOf: builder.diagnostics.diagnostics)
        }
        diagnostics.append(contentsOf: Linter(definitions).run())
        return LoadResult(definitions: definitions, diagnostics: diagnostics.sortedByLocation())
    }

    private static func parseAll(_ files: [(path: String, display: String)]) -> [SafeXMLParser.Output] {
        let results = ParseResults(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            results.set(index, SafeXMLParser.parseFile(atPath: files[index].path, displayPath: files[index].display))
        }
        return results.values
    }
}

/// Slots for parallel parse results; each index is written by exactly one iteration.
private final class ParseResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [SafeXMLParser.Output?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ output: SafeXMLParser.Output) {
        lock.lock()
        slots[index] = output
        lock.unlock()
    }

    var values: [SafeXMLParser.Output] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? SafeXMLParser.Output(diagnostics: []) }
    }
}
