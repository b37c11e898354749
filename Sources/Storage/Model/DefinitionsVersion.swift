public import Basics

/// A definition set as the database keeps it: its files in a zip archive, named by the digest of the
/// definitions they make (``Evaluation/DefinitionsDigest``), which is also what every credential issued under
/// them records.
public struct DefinitionsVersion: Sendable, Hashable, Codable {
    public var digest: String
    /// How many files the set has.
    public var files: Int
    public var uploadedBy: String
    public var uploadedAt: Timestamp

    public init(digest: String, files: Int, uploadedBy: String, uploadedAt: Timestamp) {
        self.digest = digest
        self.files = files
        self.uploadedBy = uploadedBy
        self.uploadedAt = uploadedAt
    }
}
