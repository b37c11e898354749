/// An assessment instrument: a questionnaire, a knowledge test or an observation checklist.
public struct Instrument: Sendable, Hashable {
    public var id: String
    public var framework: String
    public var version: String
    /// The strongest evidence an assessment made with this instrument gives.
    public var evidence: Evidence
    public var title: LocalizedText
    public var description: LocalizedText?
    public var scales: [Scale]
    public var items: [Item]
    public var levelCuts: [LevelCut]
    public var location: SourceLocation

    public struct Scale: Sendable, Hashable {
        public var id: String
        public var options: [Option]
        public var location: SourceLocation

        public var lowestValue: Int { options.map(\.value).min() ?? 0 }
        public var highestValue: Int { options.map(\.value).max() ?? 0 }
        public func option(_ value: Int) -> Option? { options.first { $0.value == value } }
    }

    public struct Option: Sendable, Hashable {
        public var value: Int
        public var label: LocalizedText
        public var location: SourceLocation
    }

    public enum ItemKind: String, Sendable, Hashable, CaseIterable {
        case knowledge
        case skill
        case attitude
    }

    public struct Item: Sendable, Hashable {
        public var id: String
        public var competence: String
        public var kind: ItemKind
        public var scale: String
        /// The correct option value of a knowledge item.
        public var correct: Int?
        public var weight: Double
        public var text: LocalizedText
        public var location: SourceLocation
    }

    /// A competence percent at or above `minPercent` gives `level` (the highest such cut wins).
    public struct LevelCut: Sendable, Hashable {
        public var minPercent: Int
        public var level: Int
        public var location: SourceLocation
    }

    public func scale(_ id: String) -> Scale? { scales.first { $0.id == id } }
    public func item(_ id: String) -> Item? { items.first { $0.id == id } }

    /// The highest level any answers to this instrument can produce.
    public var maximumLevel: Int { levelCuts.map(\.level).max() ?? 0 }

    /// The competences this instrument has items for, in item order without repeats.
    public var competences: [String] {
        var seen = Set<String>()
        return items.map(\.competence).filter { seen.insert($0).inserted }
    }
}
