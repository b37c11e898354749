import CLibXML2
import Foundation
import MerkistoSchemas

/// The compiled bundled XML Schemas, one per definition kind, compiled once and shared.
///
/// A compiled `xmlSchema` is read-only during validation, so one instance serves every thread; each
/// validation gets its own validation context.
final class SchemaSet: @unchecked Sendable {
    static let shared = SchemaSet()

    private let lock = NSLock()
    private var compiled: [DefinitionKind: OpaquePointer] = [:]

    /// The compiled schema for a kind; a bundled schema that fails to compile is a programming error
    /// in Merkisto itself, reported as a message rather than a crash.
    func schema(for kind: DefinitionKind) -> Result<OpaquePointer, SchemaLoadError> {
        lock.lock()
        defer { lock.unlock() }
        if let schema = compiled[kind] { return .success(schema) }
        _ = LibXML2.initialized
        let path = SchemaFiles.xsdDirectory.appendingPathComponent(kind.schemaFileName).path
        guard let parserContext = xmlSchemaNewParserCtxt(path) else {
            return .failure(SchemaLoadError(message: "cannot open bundled schema \(path)"))
        }
        defer { xmlSchemaFreeParserCtxt(parserContext) }
        let sink = LibXML2ErrorSink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        xmlSchemaSetParserStructuredErrors(parserContext, LibXML2ErrorSink.handler, sinkPointer)
        let schema = withExtendedLifetime(sink) { xmlSchemaParse(parserContext) }
        guard let schema else {
            let detail = sink.errors.map(\.message).joined(separator: "; ")
            return .failure(SchemaLoadError(message: "bundled schema \(kind.schemaFileName) does not compile: \(detail)"))
        }
        compiled[kind] = schema
        return .success(schema)
    }
}

struct SchemaLoadError: Error {
    var message: String
}
