public import Basics
public import Credentials
import Definitions
import Evaluation
import Storage

/// A hand-over package made for a client, with the name to save it under.
public struct Handover: Sendable {
    public var package: HandoverPackage
    /// `handover-<client>-<date>.json` (Data Integrity) or `.jwt` (VC-JWT).
    public var fileName: String
}

extension BadgeService {
    /// Makes a hand-over package (CLR 2.0) of a client's valid OB 3.0 credentials and their progress
    /// towards the baselines, for the client to take to the next service (*saattaen vaihtaen*).
    ///
    /// Who may: the client themselves (their own asking is their consent); staff who may award to the
    /// client, only when `clientAgreed` says the client has agreed (refused otherwise); the console actor
    /// (the operator at the command line). The package is made and signed now and is not stored; the audit
    /// log records who made it, for whom, its id, its format, how many credentials it carries and whose
    /// consent it was made on.
    ///
    /// - Parameter format: `ob3-ldp` or `ob3-jwt`; nil: the one that carries every valid OB 3.0 credential the
    ///   client holds (`ob3-ldp` when all of them are Data Integrity credentials, `ob3-jwt` otherwise).
    public func handover(
        client id: String, format requested: CredentialFormat? = .ob3LDP, language: Language? = nil, clientAgreed: Bool = false, as actor: Actor
    ) async throws(CoreError) -> Handover {
        let consent: String
        if actor.user.role == .client {
            try await authorize(actor, .readClient(id))
            consent = "client"
        } else {
            try await authorize(actor, .award(client: id))
            if actor == .console {
                consent = "command line"
            } else {
                guard clientAgreed else { throw CoreError(.invalid, key: "handover.consent") }
                consent = "recorded by \(actor.user.id)"
            }
        }
        if let requested, requested != .ob3LDP, requested != .ob3JWT {
            throw CoreError(.invalid, key: "handover.format", ["format": requested.rawValue])
        }
        let file = try await liveFile(id)
        let time = now
        let valid = validCredentials(file, at: time)
        let format = requested ?? (valid.contains { $0.format == .ob3JWT } ? .ob3JWT : .ob3LDP)
        let language = credentialLanguage(for: file.client, requested: language)
        let package: HandoverPackage
        do {
            let issuer = try self.issuer(language)
            let result = Evaluator(compiled).evaluate(try record(of: file), at: time)
            guard let signer = try keys.signer(for: format, kid: nil, algorithm: nil) else { preconditionFailure("OB 3.0 formats are signed") }
            package = try issuer.handoverPackage(result, credentials: valid, format: format, signer: signer, now: time)
        } catch let error as CoreError {
            throw error
        } catch let error as CredentialError where [.unknownKey, .retiredKey, .wrongAlgorithm].contains(error.code) {
            throw CoreError(.conflict, key: "handover.noKey", ["format": format.rawValue])
        } catch {
            throw CoreError(.failure, key: "handover.failed", ["reason": "\(error)"])
        }
        let detail = "package \(package.id) \(format.rawValue) credentials \(package.included.count) consent \(consent)"
        try await stored { () async throws(StoreError) in
            try await store.recordEvent(action: "handover.make", subject: id, detail: detail, by: actor.auditName, at: time)
        }
        return Handover(package: package, fileName: "handover-\(id)-\(String(time.utcDescription.prefix(10))).\(package.fileExtension)")
    }

    /// The credentials a client holds validly at `time` — not revoked, not suspended, not past their
    /// `validUntil` — oldest first.
    func validCredentials(_ file: ClientFile, at time: Timestamp) -> [IssuedCredential] {
        file.credentials.filter { credential in
            !file.isRevoked(credential.id) && !file.isSuspended(credential.id) && (credential.validUntil.map { $0 > time } ?? true)
        }
    }
}
