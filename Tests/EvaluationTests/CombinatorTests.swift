import Definitions
import Testing

@testable import Evaluation

@Suite("Combinators, areas, baselines, dependencies")
struct CombinatorTests {
    @Test(
        "areas: all competences by default, or a count",
        arguments: [
            (["1.1": 1, "1.2": 1, "1.3": 1], true, true), (["1.1": 1, "1.2": 1], false, true), (["1.1": 1, "1.3": 0], false, false),
        ])
    func areas(levels: [String: Int], all: Bool, two: Bool) throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: levels)]))
        #expect(result.earned("area-all") == all)
        #expect(result.earned("area-2") == two)
    }

    @Test(
        "any-of and at-least",
        arguments: [
            (["1.3": 1], true, false), (["2.1": 1, "1.1": 1], true, false), (["1.1": 1, "1.2": 1], false, true),
            (["1.1": 1, "1.2": 1, "1.3": 1], true, true), ([String: Int](), false, false),
        ])
    func combinators(levels: [String: Int], any: Bool, atLeast: Bool) throws {
        let assessments = levels.isEmpty ? [] : [Fixture.assessment("a", levels: levels)]
        let result = try Fixture.evaluate(Fixture.record(assessments))
        #expect(result.earned("any") == any)
        #expect(result.earned("atleast") == atLeast)
    }

    @Test("baselines: every requirement with its own evidence, an area filter, and a stricter evidence floor")
    func baselines() throws {
        // 1.2 needs test evidence in the baseline; a self-assessed 1.2 is not enough.
        let selfOnly = try Fixture.evaluate(
            Fixture.record([Fixture.assessment("a", evidence: "self", levels: ["1.1": 2, "1.2": 1, "2.1": 1])]))
        #expect(!selfOnly.earned("base"))
        #expect(!selfOnly.earned("base-area"))
        let gaps = try #require(selfOnly.baselines.first { $0.id == "b" }).gaps
        #expect(gaps == [BaselineResult.Gap(competence: "1.2", current: 0, required: 1, requiredEvidence: .test)])

        let tested = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", evidence: "test", levels: ["1.1": 2, "1.2": 1, "2.1": 1])]))
        #expect(tested.earned("base"))
        #expect(!tested.earned("base-obs"))
        #expect(tested.baselines.first { $0.id == "b" }?.met == true)

        // The area filter ignores area 2.
        let areaOnly = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", evidence: "test", levels: ["1.1": 2, "1.2": 1])]))
        #expect(areaOnly.earned("base-area"))
        #expect(!areaOnly.earned("base"))
    }

    @Test("a chain of badge dependencies is earned in one evaluation, in dependency order")
    func chain() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["2.1": 1, "1.1": 1])]))
        #expect(result.earned("dep1") && result.earned("dep2") && result.earned("dep3"))
        let order = result.badges.map(\.id)
        #expect(order.firstIndex(of: "dep1")! < order.firstIndex(of: "dep2")!)
        #expect(order.firstIndex(of: "dep2")! < order.firstIndex(of: "dep3")!)
        let broken = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["1.1": 1])]))
        #expect(!broken.earned("dep1") && !broken.earned("dep2") && !broken.earned("dep3"))
    }

    @Test(
        "a held award counts while valid; expired and revoked awards do not",
        arguments: [
            ("{\"badge\": \"dep1\", \"issuedAt\": \"2026-01-10T10:00:00+02:00\"}", true),
            ("{\"badge\": \"dep1\", \"issuedAt\": \"2025-01-10T10:00:00+02:00\", \"validUntil\": \"2026-12-31T00:00:00+02:00\"}", true),
            ("{\"badge\": \"dep1\", \"issuedAt\": \"2024-01-10T10:00:00+02:00\", \"validUntil\": \"2026-01-10T10:00:00+02:00\"}", false),
            ("{\"badge\": \"dep1\", \"issuedAt\": \"2026-01-10T10:00:00+02:00\", \"revoked\": true}", false),
            ("{\"badge\": \"dep1\", \"issuedAt\": \"2026-12-01T10:00:00+02:00\"}", false),
        ])
    func heldAwards(award: String, counts: Bool) throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["1.1": 1])], awards: [award]))
        #expect(result.earned("dep2") == counts)
        #expect(!result.earned("dep1"))
        #expect(result.earned("dep3") == counts)
    }

    @Test("an attestation counts from the moment it is recorded")
    func attestation() throws {
        let record = Fixture.record(
            [], attestations: ["{\"badge\": \"att\", \"by\": \"ohjaaja-1\", \"role\": \"instructor\", \"at\": \"2026-06-01T10:00:00+03:00\"}"])
        #expect(try Fixture.evaluate(record).earned("att"))
        #expect(try !Fixture.evaluate(record, at: Fixture.time("2026-05-31T00:00:00Z")).earned("att"))
        let admin = Fixture.record(
            [], attestations: ["{\"badge\": \"att\", \"by\": \"paakayttaja-1\", \"role\": \"admin\", \"at\": \"2026-06-01T10:00:00+03:00\"}"])
        #expect(try !Fixture.evaluate(admin).earned("att"))
    }

    @Test("next steps: fewest missing requirements first, with what is missing")
    func nextSteps() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["1.1": 1, "1.2": 1])]))
        let missing = result.next.map(\.missing)
        #expect(missing == missing.sorted())
        #expect(!result.next.contains { result.earned($0.badge) })
        let c = try #require(result.next.first { $0.badge == "c" })
        #expect(c.missing == 1)
        #expect(c.requirements.count == 1)
        guard case .level(let competence, let required, _, let seen, _) = c.requirements[0].detail else {
            Issue.record("expected a level requirement")
            return
        }
        #expect(competence == "1.1" && required == 2 && seen?.level == 1)
        #expect(result.next.first { $0.badge == "area-all" }?.missing == 1)
    }

    @Test("every node of every criteria tree says met or not, consistently with its children")
    func treeConsistency() throws {
        let result = try Fixture.evaluate(Fixture.record([Fixture.assessment("a", levels: ["1.1": 2, "1.3": 1])]))
        func check(_ node: NodeResult) {
            if case .group(let metCount, let needed) = node.detail {
                #expect(metCount == node.children.count { $0.met })
                #expect(node.met == (metCount >= needed))
            }
            #expect(node.met == (node.missing == 0))
            node.children.forEach(check)
        }
        result.badges.forEach { check($0.criteria) }
    }

    @Test("the fast path and the explained path agree on a generated population")
    func fastMatchesExplained() throws {
        let compiled = Fixture.shipped
        let evaluator = Evaluator(compiled)
        for record in PopulationGenerator(compiled: compiled, seed: 7).clients(300) {
            let fast = evaluator.earnedBadges(record, at: PopulationGenerator.evaluationTime)
            let explained = evaluator.evaluate(record, at: PopulationGenerator.evaluationTime).badges.filter(\.earned).map(\.id)
            #expect(Set(fast) == Set(explained))
        }
    }

    @Test("evaluation is a pure function: the same input gives the same result")
    func pure() throws {
        let compiled = Fixture.shipped
        let records = PopulationGenerator(compiled: compiled, seed: 11).clients(50)
        let first = Evaluator(compiled)
        let second = Evaluator(compiled)
        for record in records.reversed() { _ = first.countEarned(record, at: Fixture.now) }
        for record in records {
            #expect(first.earnedBadges(record, at: Fixture.now) == second.earnedBadges(record, at: Fixture.now))
        }
    }
}
