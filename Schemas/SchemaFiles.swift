public import Foundation

/// Where the bundled XML Schemas (and, later, JSON Schemas) live at run time.
///
/// The files in this folder are the administrator-facing contract (see `README.md` beside this file);
/// SwiftPM copies them next to the built products so the engine never needs the source tree.
public enum SchemaFiles {
    /// The folder holding `framework.xsd`, `instrument.xsd`, `badge.xsd`, `issuer.xsd`, `pathway.xsd`
    /// and their shared `common.xsd` and `xml.xsd`.
    public static var xsdDirectory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("xsd", isDirectory: true)
    }
}
