import Definitions
import Basics
public import Credentials
public import Evaluation
import Foundation
public import Storage

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

    /// - Parameter workload: earned badges ready to build and sign (as the credential figures use), for
    ///   the durable and bulk figures, which measure build, sign and commit without reading or evaluating.
    ///   - store: the store to measure (empty), named `kind` in the figures (nil: a new SQLite database in a
    ///     temporary folder, its figures without a suffix; otherwise each figure's name ends in `_kind`).
    public static func run(
        compiled: CompiledDefinitions, workload: CredentialWorkload, sizes: Sizes = Sizes(), seconds: Double, store given: (any Store)? = nil,
        kind: String = "sqlite"
    ) async throws -> [BenchmarkFigure] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let time = PopulationGenerator.evaluationTime
        let keys = KeyStore(directory: directory + "/keys")
        _ = try keys.generate(.es256, kid: "bench-es256", now: time)
        let store = try given ?? SQLiteStore(path: directory + "/merkisto.sqlite")
        let suffix = given == nil ? "" : "_" + kind
        let service = BadgeService(store: store, compiled: compiled, keys: keys, clock: { time })
        let clock = ContinuousClock()

        // Durable issuing: build, sign and commit each credential in a transaction of its own.
        var next = 0
        var failure: (any Error)?
        let durable = await measureRate(seconds: min(seconds, 1)) { () async -> Int in
            for _ in 0..<8 {
                do {
                    // A client each: the store holds one valid award per client, badge and format.
                    var credential = try workload.issue(next)
                    credential.client = "bench-\(next)"
                    try await store.recordCredential(credential, by: "bench", at: time)
                } catch {
                    failure = error
                }
                next += 1
            }
            return 8
        }
        if let failure { throw failure }

        // Bulk issuing: the same, for batches of credentials, with group commits on a committing task while
        // this one goes on building and signing; the median batch of those run in the time given (at least 3).
        var batchRates: [Double] = []
        var batchCount = 0
        let bulkStart = clock.now
        while batchRates.count < 3 || (clock.now - bulkStart < .milliseconds(Int(seconds * 1000)) && batchRates.count < 15) {
            let first = next
            next += sizes.bulkCredentials
            let started = clock.now
            do {
                let committer = GroupCommitter(store: store, actor: "bench", time: time, clients: 0, maximum: 4096) { _, _, _ in }
                var group: [IssuedCredential] = []
                for index in first..<first + sizes.bulkCredentials {
                    var credential = try workload.issue(index)
                    credential.client = "bulk-\(index)"
                    group.append(credential)
                    if group.count == 256 {
                        _ = await committer.submit(group, clients: 0)
                        group.removeAll(keepingCapacity: true)
                    }
                }
                _ = await committer.submit(group, clients: 0)
                let (committed, stopped) = await committer.finish()
                if let stopped { throw CoreError(.failure, stopped) }
                batchCount = committed.count
            }
            batchRates.append(Double(batchCount) / inSeconds(clock.now - started))
        }
        let bulkRate = batchRates.sorted()[batchRates.count / 2]

        // The population, stored in groups (setting up is not measured).
        let records = PopulationGenerator(compiled: compiled).clients(sizes.clients)
        for start in stride(from: 0, to: records.count, by: 5_000) {
            let files = records[start..<min(start + 5_000, records.count)].map { ClientRecordFormat.file(of: $0, registeredAt: time) }
            try await store.importClients(files, by: "bench", at: time)
        }

        // Dry run: read every client from SQLite, bind it to both sets and evaluate every badge under each; the
        // median of three runs, once the bulk writes above are copied from SQLite's log into the database
        // (that copying otherwise runs in the background beside the first runs).
        if let sqlite = store as? SQLiteStore { try await sqlite.settle() }
        let other = CompiledDefinitions(compiled.definitions)
        var checked = 0
        var dryRuns: [Duration] = []
        for _ in 0..<3 {
            let dryRunStart = clock.now
            checked = (try? await service.dryRun(against: other, at: time).clients) ?? 0
            dryRuns.append(clock.now - dryRunStart)
            guard checked == sizes.clients else { throw CoreError(.failure, "the dry run checked \(checked) of \(sizes.clients) clients") }
        }
        let dryRun = dryRuns.sorted()[1]

        // `issue --all-earned` from end to end: the first clients, until they have earned the wanted number.
        let evaluator = Evaluator(compiled)
        var wanted: [String] = []
        var count = 0
        for record in records where count < sizes.bulkCredentials {
            wanted.append(record.client)
            count += evaluator.earnedBadges(record, at: time).filter { id in !record.awards.contains { compiled.badges[$0.badge].id == id } }.count
        }
        var issued = 0
        let allEarnedStart = clock.now
        issued = try await service.issueAllEarned(clients: wanted, by: "bench").issued.count
        let allEarned = clock.now - allEarnedStart

        return [
            BenchmarkFigure(
                name: "durable_issue_per_s" + suffix, value: durable,
                note: "OB 3.0 VC-JWTs built, signed (ES256) and committed with their audit entries, one transaction each (\(kind))"),
            BenchmarkFigure(
                name: "bulk_issue_per_s" + suffix, value: bulkRate,
                note: "the same in batches of \(batchCount) with group commits (signing in one task, committing in another), median of \(batchRates.count)"),
            BenchmarkFigure(
                name: "issue_all_earned_per_s" + suffix, value: Double(issued) / inSeconds(allEarned),
                note: "issue --all-earned from end to end: read \(wanted.count) stored clients, evaluate, build, sign on both cores, \(issued) credentials in group commits"),
            BenchmarkFigure(
                name: "dry_run_clients_per_s" + suffix, value: Double(checked) / inSeconds(dryRun),
                note: "dry run over \(checked) stored clients: read from \(kind), bind to two definition sets, evaluate every badge under each; median of 3"),
        ]
    }

    static func inSeconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
