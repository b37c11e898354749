import CLibXML2
import Foundation

/// Parses one definition file with libxml2 under strict limits and validates it against its schema.
///
/// - Network access is off, no DTD is loaded, no entity is substituted; a DOCTYPE stops the parse.
/// - Files larger than ``maximumBytes`` are refused before they are read into memory.
/// - Text must be UTF-8; the first invalid byte is reported with its line and column.
/// - Element nesting deeper than ``maximumDepth`` is refused.
/// - Every libxml2 error becomes a ``Diagnostic``; nothing is printed.
struct SafeXMLParser {
    /// Definition files are hand-written and small; the largest shipped file is well under 200 KB.
    static let maximumBytes = 4 * 1024 * 1024
    static let maximumDepth = 40

    /// The outcome of reading one file: its kind and element tree when it is valid, and what went wrong.
    struct Output {
        var kind: DefinitionKind?
        var root: RawElement?
        var diagnostics: [Diagnostic]
    }

    /// Reads and parses a file, refusing oversized files without reading them.
    static func parseFile(atPath path: String, displayPath: String) -> Output {
        let start = SourceLocation.start(of: displayPath)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            return Output(diagnostics: [.error(.fileUnreadable, "cannot read the file: it does not exist or is not readable.", at: start)])
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size > maximumBytes {
            return Output(diagnostics: [tooLarge(size: size, at: start)])
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return Output(diagnostics: [.error(.fileUnreadable, "cannot open the file for reading; check its permissions.", at: start)])
        }
        defer { try? handle.close() }
        // Read at most one byte past the limit, in case the file grew after the size check.
        let data = (try? handle.read(upToCount: maximumBytes + 1)) ?? Data()
        if data.count > maximumBytes {
            return Output(diagnostics: [tooLarge(size: data.count, at: start)])
        }
        return parse(bytes: [UInt8](data), displayPath: displayPath)
    }

    private static func tooLarge(size: Int, at location: SourceLocation) -> Diagnostic {
        .error(
            .fileTooLarge,
            "the file is \(size / 1024) KB; definition files may be at most \(maximumBytes / 1024 / 1024) MB. Split it into several files.",
            at: location)
    }

    /// Parses bytes already in memory (used directly by tests and fuzzing).
    static func parse(bytes: [UInt8], displayPath: String) -> Output {
        _ = LibXML2.initialized
        let source = SourceText(bytes: bytes, path: displayPath)
        if bytes.count > maximumBytes {
            return Output(diagnostics: [tooLarge(size: bytes.count, at: .start(of: displayPath))])
        }
        if let problem = encodingProblem(in: source) {
            return Output(diagnostics: [problem])
        }

        guard let parser = xmlNewParserCtxt() else {
            return Output(diagnostics: [.error(.notWellFormed, "the XML parser could not start (out of memory).", at: .start(of: displayPath))])
        }
        defer { xmlFreeParserCtxt(parser) }
        let sink = LibXML2ErrorSink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        parser.pointee._private = sinkPointer
        if let sax = parser.pointee.sax {
            sax.pointee.serror = LibXML2ErrorSink.parserHandler
            sax.pointee.internalSubset = stopAtDoctype
        }

        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document: xmlDocPtr? = withExtendedLifetime(sink) {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) { pointer in
                    xmlCtxtReadMemory(parser, pointer, Int32(buffer.count), displayPath, "UTF-8", options)
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
            return Output(diagnostics: parseDiagnostics(sink.errors, source: source))
        }
        guard let rootNode = xmlDocGetRootElement(document) else {
            return Output(diagnostics: [.error(.notWellFormed, "the file has no root element.", at: .start(of: displayPath))])
        }

        // Pair libxml2's elements (document order) with the scanner's start-tag offsets.
        var elements: [xmlNodePtr] = []
        var depthExceeded: xmlNodePtr?
        collectElements(rootNode, depth: 1, into: &elements, depthExceeded: &depthExceeded)
        let offsets = StartTagScanner.startTagOffsets(in: bytes)
        var locations: [Int: SourceLocation] = [:]
        locations.reserveCapacity(elements.count)
        let offsetsMatch = offsets.count == elements.count
        for (index, node) in elements.enumerated() {
            let location =
                offsetsMatch
                ? source.location(ofOffset: offsets[index])
                : SourceLocation(file: displayPath, line: Int(xmlGetLineNo(node)), column: 1)
            locations[Int(bitPattern: node)] = location
        }
        let rootLocation = locations[Int(bitPattern: rootNode)] ?? .start(of: displayPath)

        if let deep = depthExceeded {
            return Output(diagnostics: [
                .error(
                    .tooDeep,
                    "elements are nested more than \(maximumDepth) levels deep; simplify the criteria (for example, flatten nested <all-of> elements).",
                    at: locations[Int(bitPattern: deep)] ?? rootLocation)
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

        switch SchemaSet.shared.schema(for: kind) {
        case .failure(let failure):
            return Output(kind: kind, diagnostics: [.error(.schemaViolation, failure.message, at: rootLocation)])
        case .success(let schema):
            let problems = validate(document, against: schema, kind: kind, locations: locations, fallback: rootLocation)
            if !problems.isEmpty {
                return Output(kind: kind, diagnostics: problems)
            }
        }
        return Output(kind: kind, root: rawElement(rootNode, locations: locations, fallback: rootLocation), diagnostics: [])
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
        if let offset = source.firstInvalidUTF8Offset() {
            return .error(
                .badEncoding,
                String(format: "byte 0x%02X is not valid UTF-8; save the file as UTF-8 (definition files must be UTF-8).", bytes[offset]),
                at: source.location(ofOffset: offset))
        }
        // An XML declaration naming another encoding would make libxml2 misread the text.
        let head = String(decoding: bytes.prefix(200), as: UTF8.self)
        if head.hasPrefix("<?xml") || head.hasPrefix("\u{FEFF}<?xml"), let end = head.range(of: "?>") {
            let declaration = head[..<end.lowerBound]
            if let encodingRange = declaration.range(of: "encoding") {
                let rest = declaration[encodingRange.upperBound...]
                let value = rest.drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }.prefix { $0 != "\"" && $0 != "'" }
                if value.lowercased() != "utf-8" {
                    return .error(
                        .badEncoding, "the XML declaration says encoding=\"\(value)\"; definition files must be UTF-8. Write encoding=\"UTF-8\".",
                        at: .start(of: source.path))
                }
            }
        }
        return nil
    }

    private static func collectElements(
        _ node: xmlNodePtr, depth: Int, into elements: inout [xmlNodePtr], depthExceeded: inout xmlNodePtr?
    ) {
        elements.append(node)
        if depth > maximumDepth, depthExceeded == nil { depthExceeded = node }
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

    private static func validate(
        _ document: xmlDocPtr, against schema: OpaquePointer, kind: DefinitionKind, locations: [Int: SourceLocation],
        fallback: SourceLocation
    ) -> [Diagnostic] {
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [.error(.schemaViolation, "the schema validator could not start (out of memory).", at: fallback)]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        let sink = LibXML2ErrorSink()
        xmlSchemaSetValidStructuredErrors(context, LibXML2ErrorSink.handler, Unmanaged.passUnretained(sink).toOpaque())
        let result = withExtendedLifetime(sink) { xmlSchemaValidateDoc(context, document) }
        if result == 0 { return [] }
        if sink.errors.isEmpty {
            return [.error(.schemaViolation, "the file does not match \(kind.schemaFileName).", at: fallback)]
        }
        return sink.errors.map { error in
            let address = error.nodeIsAttribute ? error.parentAddress : error.nodeAddress
            let location = address.flatMap { locations[$0] } ?? fallback
            return .error(.schemaViolation, SchemaMessage.readable(error.message, schemaFile: kind.schemaFileName), at: location)
        }
    }

    private static func rawElement(_ node: xmlNodePtr, locations: [Int: SourceLocation], fallback: SourceLocation) -> RawElement {
        var attributes: [String: String] = [:]
        var property = node.pointee.properties
        while let attribute = property {
            var name = String(cString: attribute.pointee.name)
            if let prefix = attribute.pointee.ns?.pointee.prefix {
                name = String(cString: prefix) + ":" + name
            }
            attributes[name] = textContent(of: attribute.pointee.children)
            property = attribute.pointee.next
        }
        var children: [RawElement] = []
        var text = ""
        var child = node.pointee.children
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE:
                children.append(rawElement(current, locations: locations, fallback: fallback))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = current.pointee.content { text += String(cString: content) }
            default:
                break
            }
            child = current.pointee.next
        }
        return RawElement(
            name: String(cString: node.pointee.name),
            location: locations[Int(bitPattern: node)] ?? fallback,
            attributes: attributes,
            children: children,
            text: text)
    }

    private static func textContent(of first: xmlNodePtr?) -> String {
        var text = ""
        var node = first
        while let current = node {
            if let content = current.pointee.content { text += String(cString: content) }
            node = current.pointee.next
        }
        return text
    }
}
