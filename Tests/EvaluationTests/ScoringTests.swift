import Definitions
import Testing

@testable import Evaluation

/// Item scoring and level cuts (DESIGN.md §3), pinned case by case on the test instrument `q`:
/// 1.1 has skill items s1, s2 (weight 1, scale 0–3) and knowledge item k1 (weight 2, correct = 1);
/// 1.2 has one attitude item a1 (scale 1–5); level cuts are 25 → 1, 50 → 2, 75 → 3, 100 → 4.
@Suite("Scoring")
struct ScoringTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var responses: [String: Int]
        var competence: String
        var level: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "everything top marks: 100 % gives level 4", responses: ["s1": 3, "s2": 3, "k1": 1], competence: "1.1", level: 4),
        Case(name: "one skill item only, unanswered ones score 0: 25 % is exactly the cut", responses: ["s1": 3], competence: "1.1", level: 1),
        Case(name: "16.7 % is below the first cut", responses: ["s1": 2], competence: "1.1", level: 0),
        Case(name: "two skill items: exactly 50 %", responses: ["s1": 3, "s2": 3], competence: "1.1", level: 2),
        Case(name: "a wrong knowledge answer scores 0: 41.7 %", responses: ["s1": 3, "s2": 2, "k1": 2], competence: "1.1", level: 1),
        Case(name: "\"I don't know\" scores 0 too", responses: ["s1": 3, "s2": 2, "k1": 0], competence: "1.1", level: 1),
        Case(name: "a right knowledge answer weighs 2: 50 %", responses: ["k1": 1], competence: "1.1", level: 2),
        Case(name: "exactly 75 %", responses: ["s1": 0, "s2": 3, "k1": 1], competence: "1.1", level: 3),
        Case(name: "66.7 % is just below 75", responses: ["s1": 0, "s2": 2, "k1": 1], competence: "1.1", level: 2),
        Case(name: "91.7 % is below 100", responses: ["s1": 3, "s2": 2, "k1": 1], competence: "1.1", level: 3),
        Case(name: "an attitude scale starting at 1: lowest option scores 0", responses: ["a1": 1], competence: "1.2", level: 0),
        Case(name: "attitude (3 − 1) / (5 − 1) = 50 %", responses: ["a1": 3], competence: "1.2", level: 2),
        Case(name: "attitude top option", responses: ["a1": 5], competence: "1.2", level: 4),
        Case(name: "24.5 % rounds half up to 25, reaching the cut", responses: ["x1": 1, "x2": 0], competence: "1.3", level: 1),
        Case(name: "24.4 % rounds down to 24, below the cut", responses: ["y1": 1, "y2": 0], competence: "2.2", level: 0),
        Case(name: "answers to one competence leave the others not assessed", responses: ["a1": 5], competence: "1.1", level: 0),
    ]

    @Test("item scores become levels", arguments: cases)
    func scoring(_ test: Case) throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", responses: test.responses)]))
        #expect(result.level(test.competence) == test.level)
    }

    @Test("a competence with no answers is not assessed, one with answers is")
    func notAssessed() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", responses: ["a1": 5])]))
        let standing = try #require(result.competences.first { $0.code == "1.1" })
        #expect(standing.source == nil)
        #expect(result.competences.first { $0.code == "1.2" }?.source?.assessment == "a")
    }

    @Test("a level recorded directly overrides the item-derived level in the same assessment")
    func directOverrides() throws {
        let result = try Fixture.evaluate(
            Fixture.record([Fixture.assessment("a", responses: ["s1": 3, "s2": 3, "k1": 1], levels: ["1.1": 1])]))
        #expect(result.level("1.1") == 1)
        let raised = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", responses: ["s1": 0], levels: ["1.1": 3])]))
        #expect(raised.level("1.1") == 3)
    }

    @Test("levels recorded without an instrument count like any other assessment")
    func directOnly() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["2.1": 2], instrument: false)]))
        #expect(result.level("2.1") == 2)
        #expect(result.earned("dep1"))
    }
}
