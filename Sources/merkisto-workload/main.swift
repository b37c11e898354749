// Runs one fixed workload and prints a check figure: the same steps on the same generated inputs in every
// run, on one task, so that valgrind counts the same instructions each time (benchmarks/callgrind.py guards
// the counts in CI). Not a command for people: `merkisto bench` measures speed.
//
// Usage: merkisto-workload NAME COUNT [DEFINITIONS]   (NAME: evaluate, issue, issue-ldp, verify, canonicalize,
//        lint, client-page; COUNT: how many times its operation runs, 0 for only the setting up)
import Basics
import Credentials
import DemoContent
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Server
import Storage

enum Workload: String, CaseIterable {
    case evaluate, issue, verify, canonicalize, lint
    case issueDataIntegrity = "issue-ldp"
    case clientPage = "client-page"

    func run(count: Int, definitions: String) async throws -> Int {
        if self == .lint {
            var diagnostics = 0
            for _ in 0..<count { diagnostics += try DefinitionLoader.load(paths: [definitions]).diagnostics.count }
            return diagnostics
        }
        let loaded = try DefinitionLoader.load(paths: [definitions])
        guard !loaded.hasErrors else { throw CoreError(.invalid, "the definitions in \(definitions) have errors") }
        let compiled = CompiledDefinitions(loaded.definitions)
        let time = PopulationGenerator.evaluationTime
        switch self {
        case .evaluate:
            // Explained evaluations (criteria trees, baselines, next steps) of generated clients.
            let evaluator = Evaluator(compiled)
            let clients = PopulationGenerator(compiled: compiled).clients(200)
            return (0..<count).reduce(0) { total, index in total + evaluator.evaluate(clients[index % clients.count], at: time).badges.count { $0.earned } }
        case .issue, .issueDataIntegrity, .verify, .canonicalize:
            let credentials = try CredentialWorkload(compiled: compiled, clients: 20)
            switch self {
            case .issue:
                // OB 3.0 VC-JWTs built and signed (ES256).
                return try (0..<count).reduce(0) { total, index in total + (try credentials.issue(index).bytes.count) }
            case .issueDataIntegrity:
                // OB 3.0 credentials with an eddsa-rdfc-2022 proof built and signed (the per-badge template).
                return try (0..<count).reduce(0) { total, index in total + (try credentials.issueDataIntegrity(index).bytes.count) }
            case .verify:
                // The same tokens verified from scratch.
                let tokens = try (0..<min(count, credentials.count)).map { try credentials.issue($0).bytes }
                let verifier = try credentials.verifier()
                return (0..<count).count { verifier.verify(tokens[$0 % tokens.count], now: credentials.time).isValid }
            default:
                // Data Integrity credentials verified: full JSON-LD expansion, RDFC-1.0 and the Ed25519 proof.
                let documents = try (0..<min(count, 4)).map { try credentials.issueDataIntegrity($0).bytes }
                let verifier = try credentials.verifier()
                return (0..<count).count { verifier.verify(documents[$0 % documents.count], now: credentials.time).isValid }
            }
        case .clientPage:
            // An example client holding a credential; their page made for an admin, as the server makes it.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-workload-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let keys = KeyStore(directory: directory)
            _ = try keys.generate(.es256, kid: "workload", now: time)
            let service = BadgeService(store: MemoryStore(), compiled: compiled, keys: keys, clock: { time })
            guard let folder = DemoContent.clients, let record = FileManager.default.contents(atPath: folder + "/edistyja.json") else {
                throw CoreError(.notFound, "the example client edistyja.json is not carried with the program")
            }
            let file = try await service.importRecord(Array(record), by: "workload")
            let admin = User(id: "workload", role: .admin, createdAt: time)
            if let badge = try await service.evaluate(client: file.client.id).badges.first(where: { $0.earned }) {
                _ = try await service.issue(client: file.client.id, badge: badge.id, format: .ob3JWT, language: nil, replacing: false, as: Actor(user: admin))
            }
            return try await PageWorkload.clientPages(service: service, client: file.client.id, as: admin, count: count)
        case .lint:
            return 0
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let workload = Workload(rawValue: arguments[1]), let count = Int(arguments[2]), (0...100_000).contains(count) else {
    FileHandle.standardError.write(Data("usage: merkisto-workload \(Workload.allCases.map(\.rawValue).joined(separator: "|")) COUNT [DEFINITIONS]\n".utf8))
    exit(2)
}
let definitions = arguments.count > 3 ? arguments[3] : (DemoContent.definitions ?? "BadgeDefinitions")

/// The outcome, handed from the task to the main thread.
final class Outcome: @unchecked Sendable {
    // Written once by the task before `done` is signalled, read by the main thread after.
    var value: Result<Int, any Error> = .success(0)
}
let outcome = Outcome()
let done = DispatchSemaphore(value: 0)
Task.detached {
    do {
        outcome.value = .success(try await workload.run(count: count, definitions: definitions))
    } catch {
        outcome.value = .failure(error)
    }
    done.signal()
}
// The main thread waits here (not in dispatch_main, which valgrind 3.19 cannot run); the task is detached
// from the main actor, which this thread is.
done.wait()
switch outcome.value {
case .success(let figure):
    print("\(workload.rawValue) \(count): \(figure)")
case .failure(let error):
    FileHandle.standardError.write(Data("merkisto-workload: \(error)\n".utf8))
    exit(1)
}
