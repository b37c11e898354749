import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// Fills a store with a county's worth of generated clients for `benchmarks/scale.sh`: pseudonyms
/// `sk-0000001`…, a unit (`yksikko-0001`…) per thousand clients with an instructor each, an open pathway
/// period per client (decision ends spread over a year, about a quarter of them past), the generator's
/// assessments, attestations and held awards, and then every badge each client has earned (about three),
/// through the same bulk issuing as `merkisto issue --all-earned`: a third of the clients get OB 3.0
/// VC-JWTs, a third hosted OB 2.0 assertions, a third OB 3.0 credentials with a Data Integrity proof.
public enum ScaleFill {
    public struct Figures: Sendable {
        public var clients: Int
        public var credentials: Int
        public var importSeconds: Double
        public var issueSeconds: Double
    }

    public static let clientsPerUnit = 1_000

    public static func id(_ number: Int) -> String { "sk-" + String(format: "%07d", number) }
    public static func unit(_ number: Int) -> String { "yksikko-" + String(format: "%04d", number / clientsPerUnit) }

    /// How many generated clients a store holds (they are added in order from the first), up to `limit`.
    public static func stored(in store: any Store, below limit: Int) async throws -> Int {
        func exists(_ number: Int) async throws -> Bool {
            try await store.clientList(ClientQuery(idPrefix: id(number), limit: 1)).first?.client.id == id(number)
        }
        var low = 0, high = limit  // clients 0..<low exist; from `high` on none.
        while low < high {
            let middle = (low + high) / 2
            if try await exists(middle) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Adds clients `from`..<`to` (numbers), then issues what they earned; reports progress as it goes.
    public static func fill(
        service: BadgeService, from: Int, to: Int, progress: @escaping @Sendable (String) -> Void
    ) async throws -> Figures {
        let compiled = service.compiled
        let store = service.store
        // Never among real clients: every stored pseudonym must be one this fill made.
        let before = try await store.clientList(ClientQuery(limit: 1))
        let after = try await store.clientList(ClientQuery(after: ClientCursor(id: "sk-\u{10FFFF}"), limit: 1))
        if let other = (before + after).first(where: { !$0.client.id.hasPrefix("sk-") }) {
            throw CoreError(.conflict, "the database holds client \(other.client.id), which this fill did not make: fill an empty database")
        }
        let generator = PopulationGenerator(compiled: compiled, seed: 0x5343_414C_45)
        let pathway = compiled.definitions.pathways.first
        let now = service.now
        let day: Int64 = 86_400_000_000
        let clock = ContinuousClock()
        let importStart = clock.now
        let chunk = 5_000
        var start = from
        while start < to {
            let end = min(start + chunk, to)
            // The units (and their instructors) this chunk needs.
            let known = Set(try await service.units().map(\.id))
            for unit in Set((start..<end).map(unit)) where !known.contains(unit) {
                try await service.addUnit(id: unit, name: unit, by: "scale")
                try await service.addUser(id: "ohjaaja-" + unit, role: .instructor, units: [unit], by: "scale")
            }
            let files = (start..<end).map { number -> ClientFile in
                let id = id(number)
                var file = ClientRecordFormat.file(of: generator.client(number: number, id: id), registeredAt: now)
                file.client.unit = unit(number)
                if let pathway, !pathway.phases.isEmpty {
                    let begun = Timestamp(microseconds: now.microseconds - Int64(30 + number % 300) * day, offsetSeconds: 7200)
                    let phases = pathway.phases.prefix(1 + number % pathway.phases.count).enumerated().map { index, phase in
                        PhaseChange(phase: phase.id, at: Timestamp(microseconds: begun.microseconds + Int64(index) * day, offsetSeconds: 7200), by: "scale")
                    }
                    // Decision ends from three months past to nine months ahead.
                    let end = Timestamp(microseconds: now.microseconds + Int64((number * 7919) % 365 - 90) * day, offsetSeconds: 7200)
                    file.periods = [
                        PathwayPeriod(id: "p-" + id, client: id, pathway: pathway.id, decisionStart: begun, decisionEnd: end, phases: Array(phases))
                    ]
                }
                return file
            }
            do {
                try await store.importClients(files, by: "scale", at: now)
            } catch {
                throw CoreError(.failure, "cannot store generated clients: \(error)")
            }
            progress("clients \(end - from) of \(to - from)")
            start = end
        }
        let importSeconds = StoreBenchmark.inSeconds(clock.now - importStart)
        // What they earned, a part at a time.
        let issueStart = clock.now
        var credentials = 0
        start = from
        let issueChunk = 20_000
        while start < to {
            let end = min(start + issueChunk, to)
            // A third of the clients in each format (a badge is issued once, in one format).
            for (index, format) in [CredentialFormat.ob3JWT, .ob2Hosted, .ob3LDP].enumerated() {
                let ids = (start..<end).filter { $0 % 3 == index }.map(id)
                credentials += try await service.issueAllEarned(clients: ids, format: format, by: "scale").issued.count
            }
            progress("issued \(credentials) credentials to \(end - from) of \(to - from) clients")
            start = end
        }
        return Figures(clients: to - from, credentials: credentials, importSeconds: importSeconds, issueSeconds: StoreBenchmark.inSeconds(clock.now - issueStart))
    }
}
