import Definitions
import Testing

@testable import Evaluation

/// Evidence strength, the latest qualifying assessment, ties, evaluation time and offsets (DESIGN.md §3).
@Suite("Evaluation semantics")
struct SemanticsTests {
    struct EvidenceCase: Sendable, CustomTestStringConvertible {
        var evidence: String
        var plain: Bool
        var test: Bool
        var observed: Bool
        var testDescription: String { "\(evidence) evidence" }
    }

    @Test(
        "a requirement counts only evidence at least as strong as it asks",
        arguments: [
            EvidenceCase(evidence: "self", plain: true, test: false, observed: false),
            EvidenceCase(evidence: "test", plain: true, test: true, observed: false),
            EvidenceCase(evidence: "observed", plain: true, test: true, observed: true),
        ])
    func evidence(_ test: EvidenceCase) throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", evidence: test.evidence, levels: ["1.1": 2])]))
        #expect(result.earned("c") == test.plain)
        #expect(result.earned("c-test") == test.test)
        #expect(result.earned("c-obs") == test.observed)
    }

    @Test("the latest qualifying assessment counts, even when it is lower")
    func latestWins() throws {
        let record = Fixture.record([
            Fixture.assessment("early", at: "2026-03-01T10:00:00+02:00", levels: ["1.1": 3]),
            Fixture.assessment("late", at: "2026-05-01T10:00:00+03:00", levels: ["1.1": 1]),
        ])
        let result = try Fixture.evaluate(record)
        #expect(result.level("1.1") == 1)
        #expect(!result.earned("c"))
    }

    @Test("a later but weaker assessment does not hide an earlier strong one from a strict requirement")
    func evidenceFiltering() throws {
        let record = Fixture.record([
            Fixture.assessment("observed", at: "2026-03-01T10:00:00+02:00", evidence: "observed", levels: ["1.1": 2]),
            Fixture.assessment("self", at: "2026-05-01T10:00:00+03:00", evidence: "self", levels: ["1.1": 0]),
        ])
        let result = try Fixture.evaluate(record)
        #expect(!result.earned("c"))  // any evidence: the latest (self, level 0)
        #expect(result.earned("c-obs"))  // observed only: the observation, level 2
    }

    struct TieCase: Sendable, CustomTestStringConvertible {
        var name: String
        var first: (evidence: String, level: Int)
        var second: (evidence: String, level: Int)
        var level: Int
        var testDescription: String { name }
    }

    @Test(
        "ties at the same instant: stronger evidence first, then the higher level",
        arguments: [
            TieCase(name: "stronger evidence wins over a higher level", first: ("self", 3), second: ("test", 1), level: 1),
            TieCase(name: "stronger evidence wins whatever the order", first: ("observed", 1), second: ("test", 3), level: 1),
            TieCase(name: "same evidence: the higher level", first: ("test", 1), second: ("test", 2), level: 2),
            TieCase(name: "same evidence, higher level first", first: ("test", 3), second: ("test", 2), level: 3),
        ])
    func ties(_ test: TieCase) throws {
        let record = Fixture.record([
            Fixture.assessment("a", at: "2026-03-01T10:00:00+02:00", evidence: test.first.evidence, levels: ["1.1": test.first.level]),
            Fixture.assessment("b", at: "2026-03-01T08:00:00Z", evidence: test.second.evidence, levels: ["1.1": test.second.level]),
        ])
        #expect(try Fixture.evaluate(record).level("1.1") == test.level)
    }

    @Test("timestamps compare as instants, whatever their offsets")
    func offsets() throws {
        // 10:00+02:00 is 08:00Z; 09:30+01:00 is 08:30Z, so the second is later although its clock time is earlier.
        let record = Fixture.record([
            Fixture.assessment("a", at: "2026-03-01T10:00:00+02:00", levels: ["1.1": 3]),
            Fixture.assessment("b", at: "2026-03-01T09:30:00+01:00", levels: ["1.1": 1]),
        ])
        #expect(try Fixture.evaluate(record).level("1.1") == 1)
    }

    @Test(
        "evaluation time: assessments after it do not count",
        arguments: [
            ("2026-02-28T23:59:59+02:00", 0), ("2026-03-01T10:00:00+02:00", 3), ("2026-04-30T12:00:00+03:00", 3),
            ("2026-05-01T10:00:00+03:00", 1),
        ])
    func evaluationTime(at: String, level: Int) throws {
        let record = Fixture.record([
            Fixture.assessment("early", at: "2026-03-01T10:00:00+02:00", levels: ["1.1": 3]),
            Fixture.assessment("late", at: "2026-05-01T10:00:00+03:00", levels: ["1.1": 1]),
        ])
        #expect(try Fixture.evaluate(record, at: Fixture.time(at)).level("1.1") == level)
    }

    @Test("the latest answer to an item decides item criteria")
    func itemCriteria() throws {
        let record = Fixture.record([
            Fixture.assessment("a", at: "2026-03-01T10:00:00+02:00", responses: ["a1": 5, "k1": 1]),
            Fixture.assessment("b", at: "2026-04-01T10:00:00+03:00", responses: ["a1": 3, "k1": 2]),
        ])
        let later = try Fixture.evaluate(record)
        #expect(!later.earned("item-min"))
        #expect(!later.earned("item-correct"))
        let earlier = try Fixture.evaluate(record, at: Fixture.time("2026-03-15T00:00:00Z"))
        #expect(earlier.earned("item-min"))
        #expect(earlier.earned("item-correct"))
    }

    @Test("an unanswered item never holds")
    func unansweredItem() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", responses: ["s1": 3])]))
        #expect(!result.earned("item-min"))
        guard case .item(_, _, let answer) = try #require(result.badge("item-min")).criteria.detail else {
            Issue.record("not an item node")
            return
        }
        #expect(answer == nil)
    }
}
