import Basics
import Foundation
import Definitions

/// What one change says in the audit log — action, subject and detail — written once here for every
/// store, so that the SQLite and in-memory logs say exactly the same. Ids and kinds of change only, never
/// names, contacts or the contents of assessments.
struct AuditChange {
    var action: String
    var subject: String
    var detail: String = ""

    static func unitAdded(_ unit: ActivityUnit) -> AuditChange { AuditChange(action: "unit.add", subject: unit.id) }

    static func userAdded(_ user: User) -> AuditChange {
        AuditChange(
            action: "user.add", subject: user.id,
            detail: "role \(user.role.rawValue)" + (user.units.isEmpty ? "" : ", units \(user.units.joined(separator: " "))"))
    }

    static func clientAdded(_ client: StoredClient) -> AuditChange {
        AuditChange(action: "client.add", subject: client.id, detail: client.unit.map { "unit \($0)" } ?? "")
    }

    static func clientImported(_ file: ClientFile) -> AuditChange {
        AuditChange(
            action: "client.import", subject: file.client.id,
            detail: "\(file.assessments.count) assessments, \(file.attestations.count) attestations, \(file.heldAwards.count) held awards")
    }

    static func clientErased(_ id: String) -> AuditChange { AuditChange(action: "client.erase", subject: id) }

    /// The entry that says which entries' details an erasure removed (their digests still chain them).
    static func detailsRedacted(client: String, sequences: [Int64]) -> AuditChange {
        AuditChange(
            action: "audit.redact", subject: client,
            detail: "details of \(sequences.count) entries removed on erasure: " + sequences.map(String.init).joined(separator: " "))
    }

    static func periodStarted(_ period: PathwayPeriod) -> AuditChange {
        AuditChange(action: "pathway.start", subject: period.client, detail: "period \(period.id) in \(period.currentPhase ?? "?")")
    }

    static func phaseChanged(client: String, period: String, from expected: String, to phase: String) -> AuditChange {
        AuditChange(action: "pathway.advance", subject: client, detail: "period \(period): \(expected) → \(phase)")
    }

    static func periodClosed(client: String, period: String, outcome: String) -> AuditChange {
        AuditChange(action: "pathway.close", subject: client, detail: "period \(period): outcome \(outcome)")
    }

    static func assessmentRecorded(_ assessment: StoredAssessment, client: String) -> AuditChange {
        AuditChange(
            action: "assessment.record", subject: client,
            detail: "evidence \(assessment.evidence.rawValue)" + (assessment.checkpoint.map { ", checkpoint \($0)" } ?? ""))
    }

    static func attestationRecorded(_ attestation: StoredAttestation, client: String) -> AuditChange {
        AuditChange(action: "attestation.record", subject: client, detail: "badge \(attestation.badge), role \(attestation.role.rawValue)")
    }

    static func attestationWithdrawn(_ attestation: StoredAttestation, client: String) -> AuditChange {
        AuditChange(
            action: "attestation.withdraw", subject: client,
            detail: "badge \(attestation.badge), role \(attestation.role.rawValue), confirmed by \(attestation.by)")
    }

    /// Issuing credentials together: one entry naming every credential (with its badge, format and
    /// pseudonymous client), so that a bulk run costs one entry per transaction rather than one per credential.
    static func credentialsIssued(_ credentials: [IssuedCredential], replacing: [String] = []) -> AuditChange {
        func line(_ credential: IssuedCredential) -> String {
            "\(credential.badge) \(credential.format.rawValue) for \(credential.client)"
        }
        let replaced = replacing.isEmpty ? "" : "; replaces " + replacing.joined(separator: ", ")
        if credentials.count == 1 {
            return AuditChange(action: "credential.issue", subject: credentials[0].id, detail: line(credentials[0]) + replaced)
        }
        return AuditChange(
            action: "credential.issue", subject: "\(credentials.count) credentials",
            detail: credentials.map { "\($0.id) \(line($0))" }.joined(separator: "; ") + replaced)
    }

    static func credentialRevoked(_ id: String) -> AuditChange { AuditChange(action: "credential.revoke", subject: id) }
    static func credentialSuspended(_ id: String) -> AuditChange { AuditChange(action: "credential.suspend", subject: id) }
    static func suspensionLifted(_ id: String) -> AuditChange { AuditChange(action: "credential.unsuspend", subject: id) }

    static func tokenAdded(_ token: APIToken) -> AuditChange {
        AuditChange(action: "token.add", subject: token.id, detail: "for \(token.user): \(token.scopes.map(\.rawValue).joined(separator: " "))")
    }

    static func tokenRevoked(_ id: String) -> AuditChange { AuditChange(action: "token.revoke", subject: id) }

    static func definitionsAdded(_ version: DefinitionsVersion) -> AuditChange {
        AuditChange(action: "definitions.upload", subject: String(version.digest.prefix(16)), detail: "\(version.files) files, \(version.digest)")
    }
    static func definitionsActivated(_ digest: String, before: String?) -> AuditChange {
        AuditChange(action: "definitions.activate", subject: String(digest.prefix(16)), detail: "\(digest), before \(before ?? "none")")
    }

    static func oauthRegistered(_ client: OAuthClient) -> AuditChange {
        AuditChange(action: "oauth.register", subject: client.id, detail: "redirect \(client.redirectURIs.joined(separator: " "))")
    }
    static func oauthGranted(_ grant: OAuthGrant) -> AuditChange {
        AuditChange(action: "oauth.grant", subject: grant.client, detail: "service \(grant.service), grant \(grant.id), scopes \(grant.scopes.joined(separator: " "))")
    }
    static func oauthWithdrawn(_ grant: OAuthGrant) -> AuditChange {
        AuditChange(action: "oauth.withdraw", subject: grant.client, detail: "service \(grant.service), grant \(grant.id)")
    }
    static func exchangeOpened(_ exchange: WalletExchange) -> AuditChange {
        AuditChange(action: "exchange.open", subject: exchange.client, detail: "badge \(exchange.badge), until \(exchange.expiresAt.utcDescription)")
    }
    static func exchangeCompleted(_ exchange: WalletExchange) -> AuditChange {
        AuditChange(action: "exchange.complete", subject: exchange.client, detail: "badge \(exchange.badge)")
    }
    static func shareOn(_ share: CredentialShare) -> AuditChange { AuditChange(action: "share.on", subject: share.credential, detail: "for \(share.client)") }
    static func shareOff(_ share: CredentialShare) -> AuditChange { AuditChange(action: "share.off", subject: share.credential, detail: "for \(share.client)") }

    static func passwordSet(_ user: String) -> AuditChange { AuditChange(action: "user.password", subject: user) }

    static func signedIn(_ user: String) -> AuditChange { AuditChange(action: "user.signin", subject: user) }

    static func signedOut(_ user: String) -> AuditChange { AuditChange(action: "user.signout", subject: user) }

    static func signInCodeMade(_ code: SignInCode) -> AuditChange {
        AuditChange(action: "user.code", subject: code.user, detail: "valid until \(code.expiresAt)")
    }

    static func signedInWithCode(_ user: String) -> AuditChange { AuditChange(action: "user.signin", subject: user, detail: "one-time code") }
}

extension AuditEntry {
    /// The ids an erasure may have to find this entry by: its subject, the client of each credential an
    /// issue names, and the user a token is for — every name ``redactedDetail(client:users:)`` looks for.
    /// Each store keeps them beside the log (one row per name and entry), so that erasing a client reads
    /// only the entries about them instead of the whole log inside its write transaction.
    var mentions: Set<String> { Self.mentions(action: action, subject: subject, detail: detail) }

    static func mentions(action: String, subject: String, detail: String) -> Set<String> {
        var names: Set<String> = [subject]
        switch action {
        case "credential.issue":
            for line in detail.components(separatedBy: "; ") {
                if let range = line.range(of: " for ", options: .backwards) { names.insert(String(line[range.upperBound...])) }
            }
        case "token.add":
            if detail.hasPrefix("for "), let colon = detail.firstIndex(of: ":") { names.insert(String(detail.dropFirst(4)[..<colon])) }
        default:
            break
        }
        return names
    }

    /// What this entry's detail becomes when a client (and the users who sign in as them) is erased: empty
    /// for an entry about them, the other credentials' lines of a bulk issue that named them; nil when the
    /// entry says nothing about them. The subject (a pseudonymous id, kept as the erased client's stub is)
    /// and the digest stay, so the chain still verifies.
    func redactedDetail(client: String, users: Set<String>) -> String? {
        guard !redacted, detailDigest != nil, !detail.isEmpty else { return nil }
        if subject == client || users.contains(subject) { return "" }
        let suffix = " for \(client)"
        switch action {
        case "credential.issue":
            let lines = detail.components(separatedBy: "; ")
            let kept = lines.filter { !$0.hasSuffix(suffix) }
            return kept.count == lines.count ? nil : kept.joined(separator: "; ")
        case "token.add":
            return users.contains(where: { detail.hasPrefix("for \($0): ") }) ? "" : nil
        default:
            return nil
        }
    }
}
