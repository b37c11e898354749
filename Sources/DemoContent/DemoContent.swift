import Foundation

/// What `merkisto serve --demo` shows when it runs outside the project's folder: the shipped definition set
/// and the example client records, carried with the program as resources (copies of `BadgeDefinitions/`
/// and `examples/clients/`, made at build time).
public enum DemoContent {
    /// The folder of the shipped definitions, as carried with the program.
    public static var definitions: String? { folder("BadgeDefinitions") }

    /// The folder of the example client records, as carried with the program.
    public static var clients: String? { folder("clients") }

    /// `folder`, unless it is the default one and does not exist here: then the copy the program carries.
    public static func fallback(_ folder: String, default defaultFolder: String, carried: String?) -> String {
        guard folder == defaultFolder, !FileManager.default.fileExists(atPath: folder), let carried else { return folder }
        return carried
    }

    private static func folder(_ name: String) -> String? {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil) else { return nil }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue ? url.path : nil
    }
}
