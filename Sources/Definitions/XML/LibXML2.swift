import CLibXML2
import Foundation
import MerkistoSchemas

/// Process-wide libxml2 set-up and the error plumbing shared by the parser and the schema validator.
///
/// libxml2 must never print to stderr, never use the network and never load a file that is not one of
/// our own bundled schemas; this type installs handlers that guarantee all three, once.
enum LibXML2 {
    /// Idempotent, thread-safe initialisation (a Swift `static let` runs once).
    static let initialized: Void = {
        xmlInitParser()
        merkisto_silence_generic_errors()
        xmlSetStructuredErrorFunc(nil, nil)
        allowedEntityDirectory = FilePaths.standardized(SchemaFiles.xsdDirectory.path, in: FileManager.default.currentDirectoryPath) + "/"
        xmlSetExternalEntityLoader(restrictedEntityLoader)
    }()

    /// The only folder libxml2 may read from on its own: our bundled schemas (for `xs:include`).
    nonisolated(unsafe) private static var allowedEntityDirectory = ""

    /// Loads bundled schema files; refuses every other URL (network, local files named by a document).
    private static let restrictedEntityLoader: xmlExternalEntityLoader = { url, _, context in
        guard let url else { return nil }
        var path = String(cString: url)
        if path.hasPrefix("file://") { path.removeFirst("file://".count) }
        let standardized = FilePaths.standardized(path, in: FileManager.default.currentDirectoryPath)
        guard !LibXML2.allowedEntityDirectory.isEmpty, standardized.hasPrefix(LibXML2.allowedEntityDirectory),
            standardized.hasSuffix(".xsd")
        else { return nil }
        return xmlNewInputFromFile(context, standardized)
    }
}

/// One error reported by libxml2, copied out of its C structure.
struct LibXML2Error {
    var message: String
    var line: Int
    var column: Int
    var code: Int
    /// The node the error concerns (schema validation), as an address for lookup; never dereferenced later.
    var nodeAddress: Int?
    var nodeIsAttribute: Bool
    var parentAddress: Int?
}

/// Receives libxml2's structured errors during one parse or validation.
final class LibXML2ErrorSink {
    var errors: [LibXML2Error] = []
    var doctypeLocation: (line: Int, column: Int)?

    /// The C callback; `context` is an unretained pointer to the sink.
    static let handler: xmlStructuredErrorFunc = { context, error in
        guard let context, let error else { return }
        let sink = Unmanaged<LibXML2ErrorSink>.fromOpaque(context).takeUnretainedValue()
        sink.record(error.pointee)
    }

    /// The same callback for parser contexts, whose user data is the parser context itself.
    static let parserHandler: xmlStructuredErrorFunc = { context, error in
        guard let context, let error else { return }
        let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
        guard let sinkPointer = parser.pointee._private else { return }
        Unmanaged<LibXML2ErrorSink>.fromOpaque(sinkPointer).takeUnretainedValue().record(error.pointee)
    }

    private func record(_ error: xmlError) {
        guard error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        var message = error.message.map { String(cString: $0) } ?? "unknown XML error"
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        var nodeAddress: Int?
        var isAttribute = false
        var parentAddress: Int?
        if let raw = error.node {
            let node = raw.assumingMemoryBound(to: xmlNode.self)
            nodeAddress = Int(bitPattern: raw)
            if node.pointee.type == XML_ATTRIBUTE_NODE {
                isAttribute = true
                parentAddress = node.pointee.parent.map { Int(bitPattern: $0) }
            }
        }
        errors.append(
            LibXML2Error(
                message: message, line: Int(error.line), column: Int(error.int2), code: Int(error.code),
                nodeAddress: nodeAddress, nodeIsAttribute: isAttribute, parentAddress: parentAddress))
    }
}
