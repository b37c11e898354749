import Basics
import CLibXML2
import Foundation

/// Parses one definition file with libxml2 under strict limits and validates it against its schema.
///
/// - Network access is off, no DTD is loaded, no entity is substituted; a DOCTYPE stops the parse.
/// - Files larger than ``maximumBytes`` are refused before they are read into memory.
/// - Text must be UTF-8; the first invalid byte is reported with its line and column.
/// - Element nesting deeper than ``maximumDepth`` is refused.
/// - Every libxml2 error becomes a ``Diagnostic``; nothing is printed.
///
/// One parser keeps its libxml2 parser context and schema validation contexts from file to file (libxml2
/// resets them for each document), so a thread reading many files makes them once; it is not shared
/// between threads. The static functions read one file with a parser of their own.
final class SafeXMLParser {
    /// Definition files are hand-written and small; the largest shipped file is well under 200 KB.
    static let maximumBytes = 4 * 1024 * 1024
    static let maximumDepth = 40

    /// The outcome of reading one file: its kind, whether it is valid (its root was handed on), and what
    /// went wrong.
    struct Output {
        var kind: DefinitionKind?
        var isValid = false
        var diagnostics: [Diagnostic]
    }

    /// What is done with the root element of a valid file, while its document is alive.
    typealias RootHandler = (DefinitionKind, RawElement) -> Void

    private var parser: xmlParserCtxtPtr?
    private var validators: [(kind: DefinitionKind, context: OpaquePointer)] = []

    init() {}

    deinit {
        if let parser { xmlFreeParserCtxt(parser) }
        for validator in validators { xmlSchemaFreeValidCtxt(validator.context) }
    }

    /// Reads and parses one file with a parser of its own.
    static func parseFile(atPath path: String, displayPath: String, root handler: RootHandler = { _, _ in }) -> Output {
        SafeXMLParser().parseFile(atPath: path, displayPath: displayPath, root: handler)
    }

    /// Parses bytes already in memory with a parser of their own (used directly by tests and fuzzing).
    static func parse(bytes: [UInt8], displayPath: String, root handler: RootHandler = { _, _ in }) -> Output {
        SafeXMLParser().parse(bytes: bytes, displayPath: displayPath, root: handler)
    }

    /// Reads and parses a file, refusing oversized files without reading them (one `open`, `fstat` and
    /// `read` each: linting 2,000 badges spent a tenth of its time in Foundation's file calls).
    func parseFile(atPath path: String, displayPath: String, root handler: RootHandler = { _, _ in }) -> Output {
        let start = SourceLocation.start(of: displayPath)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return Output(diagnostics: [.error(.fileUnreadable, "cannot read the file: it does not exist or is not readable.", at: start)])
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            return Output(diagnostics: [.error(.fileUnreadable, "cannot read the file: it is not a regular file.", at: start)])
        }
        if Int(status.st_size) > Self.maximumBytes {
            return Output(diagnostics: [Self.tooLarge(size: Int(status.st_size), at: start)])
        }
        // The size it had, and more if it grew since (up to one byte past the limit).
        var chunk = Self.readChunk(descriptor, upTo: min(Int(status.st_size), Self.maximumBytes) + 1)
        var bytes = chunk.bytes
        while chunk.error == 0, !chunk.ended, bytes.count <= Self.maximumBytes {
            chunk = Self.readChunk(descriptor, upTo: Self.maximumBytes + 1 - bytes.count)
            bytes += chunk.bytes
        }
        if chunk.error != 0 {
            return Output(diagnostics: [.error(.fileUnreadable, "cannot read the file: \(String(cString: strerror(chunk.error))).", at: start)])
        }
        if bytes.count > Self.maximumBytes {
            return Output(diagnostics: [Self.tooLarge(size: bytes.count, at: start)])
        }
        return parse(bytes: bytes, displayPath: displayPath, root: handler)
    }

    /// Up to `limit` bytes read from a file; `ended` when the end came first.
    private static func readChunk(_ descriptor: Int32, upTo limit: Int) -> (bytes: [UInt8], ended: Bool, error: Int32) {
        var ended = false
        var error: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: limit) { buffer, count in
            while count < limit {
                let got = read(descriptor, buffer.baseAddress! + count, limit - count)
                if got > 0 {
                    count += got
                } else if got == 0 {
                    ended = true
                    return
                } else if errno != EINTR {
                    error = errno
                    return
                }
            }
        }
        return (bytes, ended, error)
    }

    private static func tooLarge(size: Int, at location: SourceLocation) -> Diagnostic {
        .error(
            .fileTooLarge,
            "the file is \(size / 1024) KB; definition files may be at most \(maximumBytes / 1024 / 1024) MB. Split it into several files.",
            at: location)
    }

    /// Parses bytes already in memory; when they are a valid definition file, `handler` gets its root.
    func parse(bytes: [UInt8], displayPath: String, root handler: RootHandler = { _, _ in }) -> Output {
        _ = LibXML2.initialized
        let source = SourceText(bytes: bytes, path: displayPath)
        if bytes.count > Self.maximumBytes {
            return Output(diagnostics: [Self.tooLarge(size: bytes.count, at: .start(of: displayPath))])
        }
        if let problem = Self.encodingProblem(in: source) {
            return Output(diagnostics: [problem])
        }

        if parser == nil { parser = xmlNewParserCtxt() }
        guard let parser else {
            return Output(diagnostics: [.error(.notWellFormed, "the XML parser could not start (out of memory).", at: .start(of: displayPath))])
        }
        let sink = LibXML2ErrorSink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        parser.pointee._private = sinkPointer
        if let sax = parser.pointee.sax {
            sax.pointee.serror = LibXML2ErrorSink.parserHandler
            sax.pointee.internalSubset = Self.stopAtDoctype
        }

        // COMPACT keeps short texts inside their nodes, NOBLANKS drops the whitespace between elements (a
        // leaf's text stays whole, blank or not): fewer nodes to make, validate and free.
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_COMPACT.rawValue
                | XML_PARSE_NOBLANKS.rawValue)
        // The text is UTF-8 (checked above), so libxml2 is not told an encoding: told "UTF-8", it copies every
        // byte through its UTF-8 to UTF-8 converter (a fiftieth of linting 2,000 badges). Its guess from the
        // first four bytes could only differ when one of them is NUL (UTF-16 or UTF-32 without a byte order
        // mark); then it is told, and stops at the NUL as before.
        let encoding: String? = bytes.prefix(4).contains(0) ? "UTF-8" : nil
        let document: xmlDocPtr? = withExtendedLifetime(sink) {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) { pointer in
                    xmlCtxtReadMemory(parser, pointer, Int32(buffer.count), displayPath, encoding, options)
                }
            }
        }
        defer { if let document { xmlFreeDoc(document) } }

        if let doctype = sink.doctypeLocation {
            let location = SourceLocation(file: displayPath, line: max(doctype.line, 1), column: max(doctype.column, 1))
            return Output(diagnostics: [
                .error(
                    .doctypeForbidden,
                    "a DOCTYPE declaration is not allowed in definition files (it could load other files or expand entities). Remove the <!DOCTYPE …> line.",
                    at: location)
            ])
        }
        guard let document, parser.pointee.wellFormed != 0, sink.errors.isEmpty else {
            return Output(diagnostics: Self.parseDiagnostics(sink.errors, source: source))
        }
        guard let rootNode = xmlDocGetRootElement(document) else {
            return Output(diagnostics: [.error(.notWellFormed, "the file has no root element.", at: .start(of: displayPath))])
        }

        // Pair libxml2's elements (document order) with the scanner's start-tag offsets.
        var elements: [xmlNodePtr] = []
        var depthExceeded: Int?
        Self.collectElements(rootNode, depth: 1, into: &elements, depthExceeded: &depthExceeded)
        let offsets = StartTagScanner.startTagOffsets(in: bytes)
        let locations: [SourceLocation] =
            offsets.count == elements.count
            ? offsets.map { source.location(ofOffset: $0) }
            : elements.map { SourceLocation(file: displayPath, line: Int(xmlGetLineNo($0)), column: 1) }
        let rootLocation = locations[0]

        if let deep = depthExceeded {
            return Output(diagnostics: [
                .error(
                    .tooDeep,
                    "elements are nested more than \(Self.maximumDepth) levels deep; simplify the criteria (for example, flatten nested <all-of> elements).",
                    at: locations[deep])
            ])
        }

        let rootName = String(cString: rootNode.pointee.name)
        let rootNamespace = rootNode.pointee.ns.flatMap { $0.pointee.href.map { String(cString: $0) } }
        guard rootNamespace == DefinitionKind.namespace, let kind = DefinitionKind(rawValue: rootName) else {
            let kinds = DefinitionKind.allCases.map { "<\($0.rawValue)>" }.joined(separator: ", ")
            let found = rootNamespace.map { "<\(rootName)> in namespace \($0)" } ?? "<\(rootName)> without a namespace"
            return Output(diagnostics: [
                .error(
                    .unknownRoot,
                    "the root element is \(found); a Merkisto definition file has one of \(kinds) as its root, with xmlns=\"\(DefinitionKind.namespace)\".",
                    at: rootLocation)
            ])
        }

        let problems = validate(document, kind: kind, elements: elements, locations: locations)
        if !problems.isEmpty {
            return Output(kind: kind, diagnostics: problems)
        }
        // Each element's place in `locations`, for its view (libxml2 leaves `_private` to applications).
        for (index, element) in elements.enumerated() { element.pointee._private = UnsafeMutableRawPointer(bitPattern: index + 1) }
        handler(kind, RawElement(rootNode, locations: ElementLocations(locations)))
        return Output(kind: kind, isValid: true, diagnostics: [])
    }

    /// A DOCTYPE stops the parser at once: nothing in an internal or external subset is read.
    private static let stopAtDoctype: internalSubsetSAXFunc = { context, _, _, _ in
        guard let context else { return }
        let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
        if let sinkPointer = parser.pointee._private {
            let sink = Unmanaged<LibXML2ErrorSink>.fromOpaque(sinkPointer).takeUnretainedValue()
            sink.doctypeLocation = (Int(xmlSAX2GetLineNumber(context)), 1)
        }
        xmlStopParser(parser)
    }

    private static func encodingProblem(in source: SourceText) -> Diagnostic? {
        let bytes = source.bytes
        if bytes.count >= 2, (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) {
            return .error(.badEncoding, "the file is UTF-16; save it as UTF-8.", at: .start(of: source.path))
        }
        if let offset = bytes.withUnsafeBufferPointer({ UTF8Check.firstInvalidOffset($0) }) {
            return .error(
                .badEncoding,
                String(format: "byte 0x%02X is not valid UTF-8; save the file as UTF-8 (definition files must be UTF-8).", bytes[offset]),
                at: source.location(ofOffset: offset))
        }
        // An XML declaration naming another encoding would make libxml2 misread the text.
        if let value = declaredEncoding(in: bytes), value.lowercased() != "utf-8" {
            return .error(
                .badEncoding, "the XML declaration says encoding=\"\(value)\"; definition files must be UTF-8. Write encoding=\"UTF-8\".",
                at: .start(of: source.path))
        }
        return nil
    }

    /// The value of `encoding` in the XML declaration at the start of the text (after a byte order mark),
    /// if there is one.
    static func declaredEncoding(in bytes: [UInt8]) -> String? {
        // On the buffer (slices of the array and a search by `starts(with:)` at every place took 2,500
        // instructions a file).
        bytes.withUnsafeBufferPointer { bytes in
            let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            let head = UnsafeBufferPointer(rebasing: bytes[start..<min(bytes.count, start + 200)])
            guard head.starts(with: "<?xml".utf8) else { return nil }
            let declaration = UnsafeBufferPointer(rebasing: head[5..<(head[5...].firstIndex(of: UInt8(ascii: "?")) ?? head.count)])
            let word = "encoding".utf8
            guard declaration.count >= word.count,
                var index = (0...(declaration.count - word.count)).first(where: { declaration[$0..<($0 + word.count)].elementsEqual(word) })
            else { return nil }
            index += word.count
            let between: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "'")]
            while index < declaration.count, between.contains(declaration[index]) { index += 1 }
            let value = declaration[index...].prefix { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'") }
            return String(decoding: value, as: UTF8.self)
        }
    }

    private static func collectElements(
        _ node: xmlNodePtr, depth: Int, into elements: inout [xmlNodePtr], depthExceeded: inout Int?
    ) {
        if depth > maximumDepth, depthExceeded == nil { depthExceeded = elements.count }
        elements.append(node)
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE {
                collectElements(current, depth: depth + 1, into: &elements, depthExceeded: &depthExceeded)
            }
            child = current.pointee.next
        }
    }

    private static func parseDiagnostics(_ errors: [LibXML2Error], source: SourceText) -> [Diagnostic] {
        guard !errors.isEmpty else {
            return [.error(.notWellFormed, "the file is not well-formed XML.", at: .start(of: source.path))]
        }
        // The first error is the cause; libxml2's follow-up errors after it mostly repeat it.
        let first = errors[0]
        let location = SourceLocation(file: source.path, line: max(first.line, 1), column: max(first.column, 1))
        if first.message.contains("Excessive depth") {
            return [
                .error(
                    .tooDeep, "elements are nested too deeply (libxml2 stops at 256 levels); definition files may nest at most \(maximumDepth) levels.",
                    at: location)
            ]
        }
        if first.message.contains("Document is empty") || first.message.contains("Start tag expected") {
            return [.error(.notWellFormed, "this is not an XML file: it must start with an element such as <badge xmlns=\"\(DefinitionKind.namespace)\" …>.", at: location)]
        }
        return [.error(.notWellFormed, "the XML is not well-formed: \(first.message). Fix the markup at this position.", at: location)]
    }

    /// This parser's validation context for a kind's schema, made the first time it is needed.
    private func validator(for kind: DefinitionKind) -> Result<OpaquePointer, SchemaLoadError> {
        if let validator = validators.first(where: { $0.kind == kind }) { return .success(validator.context) }
        switch SchemaSet.shared.schema(for: kind) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let schema):
            guard let context = xmlSchemaNewValidCtxt(schema) else {
                return .failure(SchemaLoadError(message: "the schema validator could not start (out of memory)."))
            }
            validators.append((kind, context))
            return .success(context)
        }
    }

    private func validate(_ document: xmlDocPtr, kind: DefinitionKind, elements: [xmlNodePtr], locations: [SourceLocation]) -> [Diagnostic] {
        let fallback = locations[0]
        let context: OpaquePointer
        switch validator(for: kind) {
        case .failure(let failure): return [.error(.schemaViolation, failure.message, at: fallback)]
        case .success(let validator): context = validator
        }
        let sink = LibXML2ErrorSink()
        xmlSchemaSetValidStructuredErrors(context, LibXML2ErrorSink.handler, Unmanaged.passUnretained(sink).toOpaque())
        let result = withExtendedLifetime(sink) { xmlSchemaValidateDoc(context, document) }
        if result == 0 { return [] }
        if sink.errors.isEmpty {
            return [.error(.schemaViolation, "the file does not match \(kind.schemaFileName).", at: fallback)]
        }
        var byAddress: [Int: SourceLocation] = [:]
        for (node, location) in zip(elements, locations) { byAddress[Int(bitPattern: node)] = location }
        return sink.errors.map { error in
            let address = error.nodeIsAttribute ? error.parentAddress : error.nodeAddress
            let location = address.flatMap { byAddress[$0] } ?? fallback
            return .error(.schemaViolation, SchemaMessage.readable(error.message, schemaFile: kind.schemaFileName), at: location)
        }
    }
}
