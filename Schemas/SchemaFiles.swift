public import Foundation

/// Where the bundled XML Schemas (and, later, JSON Schemas) live at run time.
///
/// The files in this folder are the administrator-facing contract (see `README.md` beside this file);
/// SwiftPM copies them next to the built products so the engine never needs the source tree.
public enum SchemaFiles {
    /// The folder holding `framework.xsd`, `instrument.xsd`, `badge.xsd`, `issuer.xsd`, `pathway.xsd`
    /// and their shared `common.xsd` and `xml.xsd`.
    public static let xsdDirectory: URL = besideExecutable ?? Bundle.module.resourceURL!.appendingPathComponent("xsd", isDirectory: true)

    /// The resource folder SwiftPM puts beside the executable, looked for directly: `Bundle.module` first
    /// makes the main bundle, which reads the whole folder the executable is in (in a build folder, a
    /// few milliseconds — a tenth of linting a small set of definitions).
    private static var besideExecutable: URL? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { readlink("/proc/self/exe", $0, buffer.count - 1) }
        }
        guard count > 0, let slash = buffer[..<count].lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let folder = String(decoding: buffer[..<slash], as: UTF8.self) + "/Merkisto_MerkistoSchemas.resources/xsd"
        var status = stat()
        guard stat(folder + "/badge.xsd", &status) == 0 else { return nil }
        return URL(fileURLWithPath: folder, isDirectory: true)
    }
}
