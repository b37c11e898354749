import Foundation

/// Turns libxml2's schema-validation messages into text an administrator can act on.
enum SchemaMessage {
    /// Removes the namespace noise (`{urn:merkisto:definitions:1}title` → `title`) and adds where to look.
    static func readable(_ message: String, schemaFile: String) -> String {
        var text = message.replacingOccurrences(of: "{\(DefinitionKind.namespace)}", with: "")
        text = text.replacingOccurrences(of: "{http://www.w3.org/XML/1998/namespace}", with: "xml:")
        while text.hasSuffix(".") { text.removeLast() }
        return "\(text). The allowed structure is in Schemas/xsd/\(schemaFile)."
    }
}
