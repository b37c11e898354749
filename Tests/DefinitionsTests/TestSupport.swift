import Foundation
import Testing

@testable import Definitions

/// Paths the tests read: bundled fixtures, the repository's shipped definitions and the built binary.
enum TestPaths {
    static let fixtures: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

    static var base: String { fixtures + "/base" }

    /// The repository root, found from this source file's location.
    static let repository: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var shippedDefinitions: String { repository + "/BadgeDefinitions" }

    /// A fresh temporary folder, removed by the caller with `removeTemporary`.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "merkisto-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension Array where Element == Diagnostic {
    /// The diagnostics with a given code.
    func with(_ code: DiagnosticCode) -> [Diagnostic] { filter { $0.code == code } }
}
