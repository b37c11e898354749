public import Basics
import Credentials
import Definitions
public import Evaluation
import Foundation
public import Storage

/// Evaluation: a client's stored record bound to the definitions and evaluated, and the progress report.
extension BadgeService {
    /// The explained evaluation of a client the actor may read, as of now.
    public func evaluate(client id: String, as actor: Actor) async throws(CoreError) -> EvaluationResult {
        try await authorize(actor, .readClient(id))
        return try await evaluate(client: id)
    }

    /// The progress report of a client the actor may read, as of now.
    public func progressReport(client id: String, as actor: Actor) async throws(CoreError) -> ProgressReport {
        try await authorize(actor, .readClient(id))
        return try await progressReport(client: id)
    }

    /// The client's stored record bound to the definitions.
    public func record(of file: ClientFile) throws(CoreError) -> ClientRecord {
        var builder = ClientRecordBuilder(compiled: compiled, client: file.client.id)
        for (index, assessment) in file.assessments.enumerated() { add(assessment, path: "assessments[\(index)]", to: &builder) }
        for (index, attestation) in file.attestations.enumerated() {
            builder.addAttestation(badge: attestation.badge, by: attestation.by, role: attestation.role, at: attestation.at, path: "attestations[\(index)]")
        }
        for (index, award) in file.heldAwards.enumerated() {
            builder.addAward(badge: award.badge, issuedAt: award.issuedAt, validUntil: award.validUntil, revoked: award.revoked, path: "awards[\(index)]")
        }
        for credential in file.credentials {
            builder.addAward(
                badge: credential.badge, issuedAt: credential.issuedAt, validUntil: credential.validUntil, revoked: file.isRevoked(credential.id),
                path: "credential \(credential.id)")
        }
        do {
            return try builder.build()
        } catch {
            throw CoreError(
                .invalid, key: "record.unfit", ["client": file.client.id], problems: error.errors.map(\.description))
        }
    }

    /// Evaluates a stored client at an instant (default now).
    public func evaluate(client id: String, at time: Timestamp? = nil) async throws(CoreError) -> EvaluationResult {
        let record = try await record(of: try clientFile(id))
        return Evaluator(compiled).evaluate(record, at: time ?? now)
    }
}
