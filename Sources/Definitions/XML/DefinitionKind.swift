/// The kinds of definition file, named by their root element.
public enum DefinitionKind: String, Sendable, CaseIterable, Hashable {
    case framework
    case instrument
    case badge
    case issuer
    case pathway

    /// The namespace every definition file uses.
    public static let namespace = "urn:merkisto:definitions:1"

    /// The bundled XML Schema for this kind.
    var schemaFileName: String { "\(rawValue).xsd" }
}
