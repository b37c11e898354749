import Foundation

/// Diagnostics as JSON: an array of objects with `file`, `line`, `column`, `severity`, `code`, `message`.
public enum DiagnosticJSON {
    private struct Entry: Encodable {
        var file: String
        var line: Int
        var column: Int
        var severity: String
        var code: String
        var message: String
    }

    public static func encode(_ diagnostics: [Diagnostic]) throws -> String {
        let entries = diagnostics.map {
            Entry(
                file: $0.location.file, line: $0.location.line, column: $0.location.column, severity: $0.severity.rawValue,
                code: $0.code.rawValue, message: $0.message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(entries), as: UTF8.self)
    }
}
