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
    /// ones; every badge, or one), in group commits: credentials are signed, then a group is committed in
    /// one transaction, and `progress` hears of them only once they are durable.
    ///
    /// - Parameters:
    ///   - groupSize: credentials per transaction; larger groups spend less time in fsync.
    ///   - progress: called after each commit with (credentials issued so far, clients done, clients in all).
    public func issueAllEarned(
        clients ids: [String]? = nil, badge: String? = nil, format: CredentialFormat = .ob3JWT, kid: String? = nil,
        algorithm: SigningAlgorithm? = nil, groupSize: Int = 512, by actor: String,
        progress: (_ issued: Int, _ clientsDone: Int, _ clientsTotal: Int) -> Void = { _, _, _ in }
    ) throws -> BulkIssue {
        if let badge { guard compiled.badge(badge) != nil else { throw CoreError(.notFound, "there is no badge \(badge) in the definitions") } }
        let signer: Signer? =
            switch format {
            case .ob3JWT: try keys.signer(kid: kid, algorithm: algorithm)
            case .ob2Signed: try keys.signer(kid: kid, algorithm: .rs256)
            case .ob2Hosted: nil
            }
        var issuers: [Language: CredentialIssuer] = [:]
        func issuer(_ language: Language) throws -> CredentialIssuer {
            if let cached = issuers[language] { return cached }
            let made = try CredentialIssuer(compiled: compiled, keys: keys, baseURL: baseURL, language: language)
            issuers[language] = made
            return made
        }
        let files: [ClientFile]
        if let ids {
            files = try ids.map { id throws(CoreError) in try clientFile(id) }
        } else {
            var all: [ClientFile] = []
            try stored { () throws(StoreError) in try store.forEachClientFile { all.append($0) } }
            files = all
        }
        let evaluator = Evaluator(compiled)
        let time = now
        var result = BulkIssue(issued: [], skipped: [])
        var pending: [IssuedCredential] = []
        func commit(_ clientsDone: Int) throws(CoreError) {
            guard !pending.isEmpty else { return }
            let group = pending
            try stored { () throws(StoreError) in try store.recordCredentials(group, by: actor, at: time) }
            result.issued += group
            pending.removeAll(keepingCapacity: true)
            progress(result.issued.count, clientsDone, files.count)
        }
        for (index, file) in files.enumerated() {
            guard file.client.erasedAt == nil else { continue }
            let record: ClientRecord
            do {
                record = try self.record(of: file)
            } catch {
                result.skipped.append((file.client.id, ([error.message] + error.problems).joined(separator: "; ")))
                continue
            }
            let evaluation = evaluator.evaluate(record, at: time)
            let language = credentialLanguage(for: file.client, requested: nil)
            for earned in evaluation.badges where earned.earned && earned.held == nil && (badge == nil || earned.id == badge) {
                let document = try issuer(language).issue(
                    earned: evaluation, badge: earned.id, format: format, recipient: .anonymous, signer: signer, now: time)
                pending.append(IssuedCredential(document, client: file.client.id, language: language))
                if pending.count >= groupSize { try commit(index + 1) }
            }
        }
        try commit(files.count)
        progress(result.issued.count, files.count, files.count)
        return result
    }

    /// Which stored clients would gain or lose which badge if `other` replaced the current definitions,
    /// evaluated at one instant (default now). Only clients with a change are listed.
    public func dryRun(against other: CompiledDefinitions, at time: Timestamp? = nil) throws(CoreError) -> (changes: [DryRunChange], clients: Int) {
        let time = time ?? now
        let current = Evaluator(compiled)
        let next = BadgeService(store: store, compiled: other, keys: keys, baseURL: baseURL)
        let proposed = Evaluator(other)
        var changes: [DryRunChange] = []
        var clients = 0
        try stored { () throws(StoreError) in
            try store.forEachClientFile { file in
                guard file.client.erasedAt == nil else { return }
                clients += 1
                let before: Set<String>
                do {
                    before = Set(current.earnedBadges(try record(of: file), at: time))
                } catch {
                    // Not evaluable now either: nothing it holds today could change.
                    return
                }
                do {
                    let after = Set(proposed.earnedBadges(try next.record(of: file), at: time))
                    if before != after {
                        changes.append(
                            DryRunChange(client: file.client.id, gained: after.subtracting(before).sorted(), lost: before.subtracting(after).sorted(), unbindable: []))
                    }
                } catch {
                    changes.append(DryRunChange(client: file.client.id, gained: [], lost: before.sorted(), unbindable: (error as? CoreError)?.problems ?? ["\(error)"]))
                }
            }
        }
        return (changes, clients)
    }
}
