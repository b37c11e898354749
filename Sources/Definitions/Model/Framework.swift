/// A competence framework (DigComp 2.2): proficiency levels, areas with competences, baseline profiles.
public struct Framework: Sendable, Hashable {
    public var id: String
    public var version: String
    /// Where the framework is published (a URL), when given.
    public var source: String?
    public var title: LocalizedText
    public var description: LocalizedText?
    public var levels: [Level]
    public var areas: [Area]
    public var baselines: [Baseline]
    public var location: SourceLocation

    public struct Level: Sendable, Hashable {
        public var value: Int
        public var band: String
        public var label: LocalizedText
        public var description: LocalizedText?
        public var location: SourceLocation
    }

    public struct Area: Sendable, Hashable {
        public var code: String
        public var title: LocalizedText
        public var description: LocalizedText?
        public var competences: [Competence]
        public var location: SourceLocation
    }

    public struct Competence: Sendable, Hashable {
        public var code: String
        public var title: LocalizedText
        public var description: LocalizedText
        public var location: SourceLocation

        /// The area code of a competence code: `"2"` for `"2.1"`.
        public var areaCode: String { String(code.prefix { $0 != "." }) }
    }

    public struct Baseline: Sendable, Hashable {
        public var id: String
        public var title: LocalizedText
        public var description: LocalizedText?
        public var requirements: [Requirement]
        public var location: SourceLocation
    }

    /// One line of a baseline: competence at least at a level, from evidence at least this strong.
    public struct Requirement: Sendable, Hashable {
        public var competence: String
        public var level: Int
        public var evidence: Evidence
        public var location: SourceLocation
    }

    public func competence(_ code: String) -> Competence? {
        for area in areas {
            if let competence = area.competences.first(where: { $0.code == code }) { return competence }
        }
        return nil
    }

    public func area(_ code: String) -> Area? { areas.first { $0.code == code } }
    public func baseline(_ id: String) -> Baseline? { baselines.first { $0.id == id } }
    public func level(_ value: Int) -> Level? { levels.first { $0.value == value } }

    /// Every competence, in framework order.
    public var competences: [Competence] { areas.flatMap(\.competences) }

    /// The highest level the framework defines (8 for DigComp).
    public var maximumLevel: Int { levels.map(\.value).max() ?? 0 }
}
