/// Everything loaded from one set of definition files, checked and linked.
public struct DefinitionSet: Sendable {
    public var frameworks: [Framework]
    public var instruments: [Instrument]
    public var badges: [Badge]
    public var issuers: [Issuer]
    public var pathways: [Pathway]
    /// The files read, in the order they were read (sorted paths).
    public var files: [String]

    public init(
        frameworks: [Framework] = [], instruments: [Instrument] = [], badges: [Badge] = [], issuers: [Issuer] = [],
        pathways: [Pathway] = [], files: [String] = []
    ) {
        self.frameworks = frameworks
        self.instruments = instruments
        self.badges = badges
        self.issuers = issuers
        self.pathways = pathways
        self.files = files
    }

    public func framework(_ id: String) -> Framework? { frameworks.first { $0.id == id } }
    public func instrument(_ id: String) -> Instrument? { instruments.first { $0.id == id } }
    public func badge(_ id: String) -> Badge? { badges.first { $0.id == id } }
    public func pathway(_ id: String) -> Pathway? { pathways.first { $0.id == id } }
}
