import Definitions
import Foundation

/// One figure of `merkisto bench`: a name, a rate and what it measures.
public struct BenchmarkFigure: Sendable {
    public var name: String
    public var value: Double
    public var note: String

    public init(name: String, value: Double, note: String) {
        self.name = name
        self.value = value
        self.note = note
    }
}

/// Measures a body repeatedly for about `seconds` on the calling thread and returns operations per second.
///
/// - Parameter body: runs one batch and returns how many operations it performed.
public func measureRate(seconds: Double, _ body: () -> Int) -> Double {
    // Warm up caches and lazy initialisation outside the measured time.
    _ = body()
    return rate(seconds: seconds, body)
}

/// ``measureRate(seconds:_:)`` for work that waits (a store's writes).
public func measureRate(seconds: Double, _ body: () async -> Int) async -> Double {
    _ = await body()
    let clock = ContinuousClock()
    let start = clock.now
    var operations = 0
    var elapsed = Duration.zero
    repeat {
        operations += await body()
        elapsed = clock.now - start
    } while elapsed < .milliseconds(Int(seconds * 1000))
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(operations) / elapsedSeconds
}

private func rate(seconds: Double, _ body: () -> Int) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var operations = 0
    var elapsed = Duration.zero
    repeat {
        operations += body()
        elapsed = clock.now - start
    } while elapsed < .milliseconds(Int(seconds * 1000))
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(operations) / elapsedSeconds
}

/// The evaluation figures: badge evaluations per second on one core, without and with explanations.
public enum EvaluationBenchmark {
    public static func run(compiled: CompiledDefinitions, seconds: Double, clients: Int = 1000) -> [BenchmarkFigure] {
        let population = PopulationGenerator(compiled: compiled).clients(clients)
        let evaluator = Evaluator(compiled)
        let time = PopulationGenerator.evaluationTime
        let badges = compiled.badges.count
        var sink = 0
        let fast = measureRate(seconds: seconds) {
            for record in population { sink &+= evaluator.countEarned(record, at: time) }
            return population.count * badges
        }
        let explained = measureRate(seconds: seconds) {
            for record in population { sink &+= evaluator.evaluate(record, at: time).badges.count }
            return population.count * badges
        }
        // Keep the results observable so the optimiser cannot drop the work.
        if sink == Int.min { print(sink) }
        return [
            BenchmarkFigure(
                name: "evaluations_per_s", value: fast,
                note: "badge evaluations per second, one core, \(clients) generated clients × \(badges) badges, no explanations"),
            BenchmarkFigure(
                name: "explained_evaluations_per_s", value: explained,
                note: "the same with the full explained result (criteria trees, baselines, next steps), no rendered text"),
        ]
    }
}
