/// A problem in a client record, named by its JSON path (`assessments[2].responses[0].value`).
public struct ClientRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the document as a whole.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// All problems found in one client record (reading continues past the first, so one run shows them all).
public struct ClientRecordErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ClientRecordError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
