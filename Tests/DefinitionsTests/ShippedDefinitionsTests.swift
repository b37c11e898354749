import Basics
import Foundation
import Testing

@testable import Definitions

/// The definition set we ship is product content: it must be complete, consistent and lint-clean.
@Suite("Shipped definitions")
struct ShippedDefinitionsTests {
    static let result: LoadResult = try! DefinitionLoader.load(paths: [TestPaths.shippedDefinitions])
    var definitions: DefinitionSet { Self.result.definitions }

    @Test("lint finds nothing, not even a warning")
    func clean() {
        #expect(Self.result.diagnostics.isEmpty, "\(Self.result.diagnostics.map(\.description).joined(separator: "\n"))")
    }

    @Test("DigComp 2.2 is complete: 5 areas, 21 competences, levels 0–8, fi/sv/en everywhere")
    func digcomp() throws {
        let framework = try #require(definitions.framework("digcomp"))
        #expect(framework.version == "2.2")
        #expect(framework.areas.map(\.code) == ["1", "2", "3", "4", "5"])
        #expect(framework.areas.map(\.competences.count) == [3, 6, 4, 4, 4])
        #expect(framework.levels.map(\.value) == Array(0...8))
        #expect(framework.levels.first?.band == "not-yet")
        for competence in framework.competences {
            for language in Language.allCases {
                #expect(competence.title.has(language), "\(competence.code) title \(language)")
                #expect(competence.description.has(language), "\(competence.code) description \(language)")
            }
        }
    }

    @Test("both baselines exist and cover the competences reference/digcomp.md proposes")
    func baselines() throws {
        let framework = try #require(definitions.framework("digcomp"))
        let citizen = try #require(framework.baseline("kansalaisen-perustaso"))
        let work = try #require(framework.baseline("tyoelaman-perustaso"))
        #expect(citizen.requirements.count == 17)
        #expect(Set(citizen.requirements.map(\.competence)).isDisjoint(with: ["3.2", "3.4", "5.3"]))
        #expect(work.requirements.count == 21)
        for requirement in citizen.requirements {
            let stricter = try #require(work.requirements.first { $0.competence == requirement.competence })
            #expect(stricter.level >= requirement.level, "\(requirement.competence)")
        }
    }

    @Test("the questionnaire has at least 40 items, knowledge items with answers, and covers every badge competence")
    func instrument() throws {
        let survey = try #require(definitions.instrument("digitaitojen-kartoitus"))
        #expect(survey.items.count >= 40)
        #expect(survey.items.contains { $0.kind == .knowledge && $0.correct != nil })
        #expect(!survey.levelCuts.isEmpty)
        let framework = try #require(definitions.framework("digcomp"))
        #expect(Set(survey.competences) == Set(framework.competences.map(\.code)))
        for badge in definitions.badges {
            for competence in definitions.alignedCompetences(of: badge) {
                #expect(survey.competences.contains(competence.code), "\(badge.id) uses \(competence.code)")
            }
        }
    }

    @Test("at least ten badges plus a collection badge for each baseline, each with its own SVG image")
    func badges() throws {
        let collections = definitions.badges.filter(\.isCollection)
        #expect(definitions.badges.count - collections.count >= 10)
        for baseline in ["kansalaisen-perustaso", "tyoelaman-perustaso"] {
            #expect(
                collections.contains { badge in
                    badge.criteria.allNodes.contains {
                        if case .baseline(let id, nil, _) = $0.expression { return id == baseline }
                        return false
                    }
                }, "no collection badge for \(baseline)")
        }
        #expect(Set(definitions.badges.map(\.imagePath)).count == definitions.badges.count)
        for badge in definitions.badges {
            let svg = try String(contentsOfFile: badge.imagePath, encoding: .utf8)
            #expect(svg.hasPrefix("<svg"), "\(badge.id)")
            #expect(svg.contains("viewBox"), "\(badge.id)")
        }
    }

    @Test("the pathway has the phases, three checkpoints and outcomes of reference/pathway.md")
    func pathway() throws {
        let pathway = try #require(definitions.pathway("kuntouttava-tyotoiminta"))
        #expect(pathway.phases.count == 8)
        #expect(pathway.checkpoints.map(\.id) == ["alkukartoitus", "valiarviointi", "loppuarviointi"])
        #expect(pathway.outcomes.count == 10)
        #expect(pathway.phases.last?.next.isEmpty == true)
    }

    @Test("there is exactly one issuer with an https base URL")
    func issuer() throws {
        #expect(definitions.issuers.count == 1)
        let issuer = try #require(definitions.issuers.first)
        #expect(issuer.baseURL.hasPrefix("https://"))
    }
}
