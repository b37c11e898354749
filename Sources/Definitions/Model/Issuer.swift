/// The organisation that issues and signs badges, and where its public documents are hosted.
public struct Issuer: Sendable, Hashable {
    public var id: String
    public var name: LocalizedText
    public var description: LocalizedText?
    public var url: String
    public var email: String
    /// Where hosted documents (profile, achievements, keys, status lists) are published.
    public var baseURL: String
    public var imagePath: String?
    public var location: SourceLocation
}
