/// One problem found in the definitions: where, how bad, a stable code and a message that says how to fix it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case warning
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .warning && rhs == .error
        }
    }

    public var severity: Severity
    public var code: DiagnosticCode
    public var message: String
    public var location: SourceLocation

    public init(_ severity: Severity, _ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    public static func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.error, code, message, at: location)
    }

    public static func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.warning, code, message, at: location)
    }

    /// `PATH:LINE:COLUMN: error|warning: [CODE] message`, the form compilers and editors understand.
    public var description: String {
        "\(location): \(severity.rawValue): [\(code.rawValue)] \(message)"
    }
}

/// Collects diagnostics while the stages run; fatal problems stop a file, the rest are gathered.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func emit(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        emit(.error(code, message, at: location))
    }

    public mutating func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        emit(.warning(code, message, at: location))
    }

    public mutating func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

extension Array where Element == Diagnostic {
    /// Sorted by file, line, column, then code, so output is stable whatever order the checks ran in.
    public func sortedByLocation() -> [Diagnostic] {
        sorted { ($0.location, $0.code.rawValue, $0.message) < ($1.location, $1.code.rawValue, $1.message) }
    }

    public var errorCount: Int { count { $0.severity == .error } }
    public var warningCount: Int { count { $0.severity == .warning } }
}
