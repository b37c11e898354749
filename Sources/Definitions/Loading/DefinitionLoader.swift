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

    /// The `*.xml` files below the given paths, sorted, each with the path to show in diagnostics.
    public static func discover(paths: [String]) throws -> [(path: String, display: String)] {
        var found: [(path: String, display: String)] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DefinitionPathError(path: path)
            }
            if !isDirectory.boolValue {
                found.append((path, path))
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            guard let enumerator = manager.enumerator(atPath: path) else { continue }
            var relatives: [String] = []
            while let relative = enumerator.nextObject() as? String {
                if relative.hasSuffix(".xml") { relatives.append(relative) }
            }
            for relative in relatives.sorted() {
                let full = base + "/" + relative
                var isSubdirectory: ObjCBool = false
                if manager.fileExists(atPath: full, isDirectory: &isSubdirectory), !isSubdirectory.boolValue {
                    found.append((full, full))
                }
            }
        }
        var seen = Set<String>()
        return found.filter { seen.insert(URL(fileURLWithPath: $0.path).standardizedFileURL.path).inserted }
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
