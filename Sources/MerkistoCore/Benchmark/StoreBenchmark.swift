import Basics
import Credentials
public import Evaluation
import Foundation
import Storage

/// The figures of the application core over a real SQLite store in a temporary folder: durable issuing,
/// bulk issuing with group commits, and a dry run over every stored client.
public enum StoreBenchmark {
    /// How many clients the dry run reads and evaluates, and how many credentials bulk issuing makes.
    public struct Sizes: Sendable {
        public var clients: Int
        public var bulkCredentials: Int
        public init(clients: Int = 100_000, bulkCredentials: Int = 10_000) {
            self.clients = clients
            self.bulkCredentials = bulkCredentials
        }
    }

    public static func run(compiled: CompiledDefinitions, sizes: Sizes = Sizes(), seconds: Double) throws -> [BenchmarkFigure] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let time = PopulationGenerator.evaluationTime
        let keys = KeyStore(directory: directory + "/keys")
        _ = try keys.generate(.es256, kid: "bench-es256", now: time)
        let store = try SQLiteStore(path: directory + "/merkisto.sqlite")
        let service = BadgeService(store: store, compiled: compiled, keys: keys, clock: { time })

        // The population, stored in groups (setting up is not measured).
        let records = PopulationGenerator(compiled: compiled).clients(sizes.clients)
        for start in stride(from: 0, to: records.count, by: 5_000) {
            let files = records[start..<min(start + 5_000, records.count)].map { ClientRecordFormat.file(of: $0, registeredAt: time) }
            try store.importClients(files, by: "bench", at: time)
        }

        // Dry run: read every client from SQLite, bind it to both sets and evaluate every badge under each.
        let other = CompiledDefinitions(compiled.definitions)
        let clock = ContinuousClock()
        var checked = 0
        let dryRun = clock.measure { checked = (try? service.dryRun(against: other, at: time).clients) ?? 0 }
        guard checked == sizes.clients else { throw CoreError(.failure, "the dry run checked \(checked) of \(sizes.clients) clients") }

        // Bulk issuing: the first clients, until they have earned the wanted number of credentials.
        let evaluator = Evaluator(compiled)
        var wanted: [String] = []
        var count = 0
        for record in records where count < sizes.bulkCredentials {
            wanted.append(record.client)
            count += evaluator.earnedBadges(record, at: time).filter { id in !record.awards.contains { compiled.badges[$0.badge].id == id } }.count
        }
        var issued = 0
        let bulk = try clock.measure { issued = try service.issueAllEarned(clients: wanted, by: "bench").issued.count }

        // Durable issuing, one commit per credential, for later clients.
        var pairs: [(String, String)] = []
        for record in records.reversed().prefix(2_000) {
            for badge in evaluator.earnedBadges(record, at: time) { pairs.append((record.client, badge)) }
        }
        var next = 0
        var failure: (any Error)?
        let durable = measureRate(seconds: min(seconds, 1)) {
            for _ in 0..<8 where next < pairs.count {
                do {
                    _ = try service.issue(client: pairs[next].0, badge: pairs[next].1, by: "bench")
                } catch {
                    failure = error
                }
                next += 1
            }
            return 8
        }
        if let failure { throw failure }

        return [
            BenchmarkFigure(
                name: "durable_issue_per_s", value: durable,
                note: "read a stored client, evaluate, build, sign (ES256) and commit with its audit entry, one transaction each"),
            BenchmarkFigure(
                name: "bulk_issue_per_s", value: Double(issued) / inSeconds(bulk),
                note: "issue --all-earned: \(issued) credentials for \(wanted.count) stored clients, group commits of whatever was signed meanwhile"),
            BenchmarkFigure(
                name: "dry_run_clients_per_s", value: Double(checked) / inSeconds(dryRun),
                note: "dry run over \(checked) stored clients: read from SQLite, bind to two definition sets, evaluate every badge under each"),
        ]
    }

    private static func inSeconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
