import Basics
import Foundation
import Testing

@testable import Definitions

@Suite("Narratives")
struct NarrativeTests {
    @Test("every fixed text exists in Finnish, Swedish and English")
    func localisationComplete() {
        let strings = Localizer.shared
        #expect(!strings.keys.isEmpty)
        for key in strings.keys {
            for language in Language.allCases {
                #expect(strings.has(key, in: language), "\(key) has no \(language)")
            }
        }
    }

    @Test("placeholders are filled and unknown keys show themselves")
    func templates() {
        let strings = Localizer.shared
        #expect(strings.text("criteria.atLeast", .fi, ["count": "2"]) == "Vähintään 2 näistä:")
        #expect(strings.text("criteria.atLeast", .en, ["count": "3"]) == "At least 3 of these:")
        #expect(strings.text("no.such.key", .sv) == "no.such.key")
    }

    @Test("the narrative follows the criteria tree, in each language", arguments: Language.allCases)
    func baseBadge(language: Language) throws {
        let definitions = try DefinitionLoader.load(paths: [TestPaths.base]).definitions
        let badge = try #require(definitions.badge("perusmerkki"))
        let narrative = CriteriaNarrator(definitions: definitions, language: language).narrative(for: badge)
        let expected: [Language: String] = [
            .fi: "- Kaikki nämä:\n  - 1.1 Haku: vähintään taso 1\n  - Oikea vastaus väitteeseen ”Mainoksia on.”",
            .sv: "- Allt detta:\n  - 1.1 Sökning: minst nivå 1\n  - Rätt svar på påståendet ”Det finns annonser.”",
            .en: "- All of these:\n  - 1.1 Search: at least level 1\n  - The right answer to the statement “There are ads.”",
        ]
        #expect(narrative == expected[language])
    }

    @Test("every shipped badge reads without gaps in every language", arguments: Language.allCases)
    func shippedBadges(language: Language) throws {
        let definitions = try DefinitionLoader.load(paths: [TestPaths.shippedDefinitions]).definitions
        let narrator = CriteriaNarrator(definitions: definitions, language: language)
        for badge in definitions.badges {
            let narrative = narrator.narrative(for: badge)
            #expect(!narrative.contains("{"), "\(badge.id): \(narrative)")
            #expect(!narrative.contains("criteria."), "\(badge.id): \(narrative)")
            #expect(narrative.split(separator: "\n").count == badge.criteria.allNodes.count)
        }
    }
}
