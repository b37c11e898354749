/// A badge: its names, picture, how long it stays valid, and the criterion expression that earns it.
public struct Badge: Sendable, Hashable {
    public var id: String
    public var framework: String
    public var version: String
    public var name: LocalizedText
    public var description: LocalizedText
    /// The image path as written (relative to the badge file) and resolved to an absolute path.
    public var imageSource: String
    public var imagePath: String
    /// The same picture as a PNG (`png` of `image`), as written and resolved; nil when the badge has none.
    public var pngSource: String?
    public var pngPath: String?
    /// Written criteria text; when nil, the narrative is generated from ``criteria``.
    public var narrative: LocalizedText?
    public var validityMonths: Int?
    public var tags: [String]
    public var criteria: Criterion
    public var location: SourceLocation
    public var imageLocation: SourceLocation

    /// A collection badge is one whose criteria name other badges or baselines (a *koontimerkki*).
    public var isCollection: Bool {
        criteria.allNodes.contains {
            switch $0.expression {
            case .badge, .baseline: true
            default: false
            }
        }
    }
}
