import Foundation
public import Basics
public import Credentials
import Definitions
public import Evaluation
public import Storage

/// What a bulk issue did.
public struct BulkIssue: Sendable {
    /// Every credential issued, durable in the store.
    public var issued: [IssuedCredential]
    /// Clients that could not be evaluated (their records no longer fit the definitions), with why.
    public var skipped: [(client: String, reason: String)]
    /// Why the run stopped early; the credentials in `issued` are durable all the same.
    public var failure: String?
}

/// Who would gain or lose which badge under another definition set.
public struct DryRunChange: Sendable, Hashable {
    public var client: String
    public var gained: [String]
    public var lost: [String]
    /// Set when the client's record does not fit the new definitions at all (the problems).
    public var unbindable: [String]
}

extension BadgeService {
    /// Issues every badge that stored clients have earned and do not yet hold (all clients, or the given
    /// ones; every badge, or one), in group commits. Workers on every core read clients in chunks, evaluate
    /// and sign; a committer writes each full group in one transaction, and `progress` hears of
    /// credentials only once they are durable.
    ///
    /// - Parameters:
    ///   - groupSize: credentials per transaction; larger groups spend less time in fsync.
    ///   - workers: signing threads (default: one per core).
    ///   - progress: called as groups become durable with (credentials issued so far, clients done, clients in all).
    public func issueAllEarned(
        clients ids: [String]? = nil, badge: String? = nil, format: CredentialFormat = .ob3JWT, kid: String? = nil,
        algorithm: SigningAlgorithm? = nil, groupSize: Int = 512, workers: Int? = nil,
        by actor: String, progress: @escaping @Sendable (_ issued: Int, _ clientsDone: Int, _ clientsTotal: Int) -> Void = { _, _, _ in }
    ) throws -> BulkIssue {
        if let badge { guard compiled.badge(badge) != nil else { throw CoreError(.notFound, "there is no badge \(badge) in the definitions") } }
        let signer: Signer? =
            switch format {
            case .ob3JWT: try keys.signer(kid: kid, algorithm: algorithm)
            case .ob2Signed: try keys.signer(kid: kid, algorithm: .rs256)
            case .ob2Hosted: nil
            }
        let all = try ids ?? stored { () throws(StoreError) in try store.clientIDs() }
        if ids != nil {
            let known = Set(try stored { () throws(StoreError) in try store.clientFiles(all) }.map(\.client.id))
            if let missing = all.first(where: { !known.contains($0) }) { throw CoreError(.notFound, "there is no client \(missing)") }
        }
        // Make the issuers before the workers start, so they share one template cache per language.
        for language in Language.allCases { _ = try issuer(language) }
        let time = now
        let chunkSize = 128
        let chunks = stride(from: 0, to: all.count, by: chunkSize).map { Array(all[$0..<min($0 + chunkSize, all.count)]) }
        let committer = GroupCommitter(store: store, actor: actor, time: time, clients: all.count, progress: progress)
        let work = BulkWork(chunks: chunks.count)
        let threads = workers ?? ProcessInfo.processInfo.activeProcessorCount
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, chunks.count))) { _ in
            let evaluator = Evaluator(compiled)
            var pending: [IssuedCredential] = []
            pending.reserveCapacity(groupSize)
            while committer.failure == nil, let chunk = work.claim() {
                do {
                    let files = try stored { () throws(StoreError) in try store.clientFiles(chunks[chunk]) }
                    for file in files where file.client.erasedAt == nil {
                        let record: ClientRecord
                        do {
                            record = try self.record(of: file)
                        } catch let error as CoreError {
                            work.skip(file.client.id, ([error.message] + error.problems).joined(separator: "; "))
                            continue
                        }
                        // The fast path finds out whether there is anything to issue before the explained one runs.
                        guard evaluator.countEarned(record, at: time) > 0 else { continue }
                        let evaluation = evaluator.evaluate(record, at: time)
                        let language = credentialLanguage(for: file.client, requested: nil)
                        let issuer = try self.issuer(language)
                        for earned in evaluation.badges where earned.earned && earned.held == nil && (badge == nil || earned.id == badge) {
                            let document = try issuer.issue(
                                earned: evaluation, badge: earned.id, format: format, recipient: .anonymous, signer: signer, now: time)
                            pending.append(IssuedCredential(document, client: file.client.id, language: language))
                            if pending.count >= groupSize {
                                committer.submit(pending, clients: 0)
                                pending.removeAll(keepingCapacity: true)
                            }
                        }
                    }
                    committer.submit(pending, clients: chunks[chunk].count)
                    pending.removeAll(keepingCapacity: true)
                } catch {
                    committer.fail("\(error)")
                }
            }
        }
        let (issued, failure) = committer.finish()
        return BulkIssue(issued: issued, skipped: work.skipped, failure: failure)
    }

    /// Which stored clients would gain or lose which badge if `other` replaced the current definitions,
    /// evaluated at one instant (default now). Only clients with a change are listed.
    public func dryRun(against other: CompiledDefinitions, at time: Timestamp? = nil) throws(CoreError) -> (changes: [DryRunChange], clients: Int) {
        let time = time ?? now
        let next = BadgeService(store: store, compiled: other, keys: keys, baseURL: baseURL)
        let sameFingerprint = compiled.bindingFingerprint == other.bindingFingerprint
        // Two workers, each with its own evaluators, over alternate batches of clients.
        let results: [([DryRunChange], Int)] = try stored { () throws(StoreError) in
            try store.forEachClientFileBatch(workers: 2) { files in
                let current = Evaluator(compiled)
                let proposed = Evaluator(other)
                var changes: [DryRunChange] = []
                var clients = 0
                for file in files where file.client.erasedAt == nil {
                    clients += 1
                    guard let record = try? record(of: file) else {
                        // Not evaluable now either: nothing it holds today could change.
                        continue
                    }
                    let before = Set(current.earnedBadges(record, at: time))
                    do {
                        let rebound = try record.rebound(to: other, sameFingerprint: sameFingerprint) ?? next.record(of: file)
                        let after = Set(proposed.earnedBadges(rebound, at: time))
                        if before != after {
                            changes.append(
                                DryRunChange(
                                    client: file.client.id, gained: after.subtracting(before).sorted(), lost: before.subtracting(after).sorted(),
                                    unbindable: []))
                        }
                    } catch {
                        changes.append(DryRunChange(client: file.client.id, gained: [], lost: before.sorted(), unbindable: (error as? CoreError)?.problems ?? ["\(error)"]))
                    }
                }
                return (changes, clients)
            }
        }
        return (results.flatMap { $0.0 }, results.reduce(0) { $0 + $1.1 })
    }
}

/// Hands out chunks of clients to workers and collects the clients they had to skip.
final class BulkWork: @unchecked Sendable {
    // `lock` guards the fields below.
    private let lock = NSLock()
    private let chunks: Int
    private var next = 0
    private var skips: [(client: String, reason: String)] = []

    init(chunks: Int) {
        self.chunks = chunks
    }

    func claim() -> Int? {
        lock.withLock {
            guard next < chunks else { return nil }
            next += 1
            return next - 1
        }
    }

    func skip(_ client: String, _ reason: String) {
        lock.withLock { skips.append((client, reason)) }
    }

    var skipped: [(client: String, reason: String)] { lock.withLock { skips.sorted { $0.client < $1.client } } }
}

/// Commits groups of credentials on a thread of its own, one transaction per group, while workers sign
/// the next ones; at most two groups wait behind the one being committed.
final class GroupCommitter: @unchecked Sendable {
    private let store: any Store
    private let actor: String
    private let time: Timestamp
    private let clients: Int
    private let progress: @Sendable (Int, Int, Int) -> Void
    private let queue = DispatchQueue(label: "merkisto.group-commit")
    private let slots = DispatchSemaphore(value: 2)
    // `lock` guards the fields below.
    private let lock = NSLock()
    private var committed: [IssuedCredential] = []
    private var clientsDone = 0
    private var stopped: String?

    init(store: any Store, actor: String, time: Timestamp, clients: Int, progress: @escaping @Sendable (Int, Int, Int) -> Void) {
        self.store = store
        self.actor = actor
        self.time = time
        self.clients = clients
        self.progress = progress
    }

    /// Why committing stopped, once it has.
    var failure: String? { lock.withLock { stopped } }

    func fail(_ reason: String) {
        lock.withLock { if stopped == nil { stopped = reason } }
    }

    /// Hands over a group (which may be empty: then only the clients done are counted, in order).
    func submit(_ group: [IssuedCredential], clients done: Int) {
        guard failure == nil else { return }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard failure == nil else { return }
            do {
                if !group.isEmpty { try store.recordCredentials(group, by: actor, at: time) }
                let (issued, clientsDone): (Int, Int) = lock.withLock {
                    committed += group
                    self.clientsDone += done
                    return (committed.count, self.clientsDone)
                }
                progress(issued, clientsDone, clients)
            } catch {
                fail("\(error)")
            }
        }
    }

    /// Waits for every group handed over; returns what is durable and why committing stopped, if it did.
    func finish() -> ([IssuedCredential], String?) {
        queue.sync {}
        return lock.withLock { (committed, stopped) }
    }
}
