public import Basics
import Definitions
public import Evaluation
public import Foundation
public import Storage

/// The client-record file format (`Schemas/json/client-record.schema.json`) to and from what the store
/// keeps: `merkisto import` reads it, `merkisto client export` writes it.
///
/// Export writes keys sorted, two spaces of indentation and no empty lists, so a record in that form
/// (as every example in `examples/clients/` is) comes back byte for byte.
public enum ClientRecordFormat {
    /// Reads a record file into a client file for the store, checking it against the definitions first.
    ///
    /// - Throws: ``CoreError`` with every problem and its JSON path.
    public static func read(_ data: Data, compiled: CompiledDefinitions, registeredAt: Timestamp) throws(CoreError) -> ClientFile {
        do {
            _ = try ClientRecordReader(definitions: compiled).read(data)
        } catch {
            throw CoreError(.invalid, key: "record.errors", problems: error.errors.map(\.description))
        }
        // The reader has checked every field; what remains is taking the values out.
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw CoreError(.invalid, key: "record.notObject")
        }
        let client = StoredClient(id: fields["client"]?.text ?? "", registeredAt: registeredAt, schemaReference: fields["$schema"]?.text)
        let assessments = (fields["assessments"]?.elements ?? []).map { value in
            let entry = value.fields
            return StoredAssessment(
                id: entry["id"]?.text ?? "", assessedAt: entry["assessedAt"]?.timestamp ?? registeredAt, assessor: entry["assessor"]?.text ?? "",
                evidence: entry["evidence"]?.text.flatMap(Evidence.init(rawValue:)) ?? .self, instrument: entry["instrument"]?.text,
                checkpoint: entry["checkpoint"]?.text,
                responses: (entry["responses"]?.elements ?? []).map {
                    StoredAssessment.Response(item: $0.fields["item"]?.text ?? "", value: $0.fields["value"]?.integer ?? 0)
                },
                levels: (entry["levels"]?.elements ?? []).map {
                    StoredAssessment.Level(competence: $0.fields["competence"]?.text ?? "", level: $0.fields["level"]?.integer ?? 0)
                },
                note: entry["note"]?.text)
        }
        let attestations = (fields["attestations"]?.elements ?? []).map { value in
            let entry = value.fields
            return StoredAttestation(
                badge: entry["badge"]?.text ?? "", by: entry["by"]?.text ?? "",
                role: entry["role"]?.text.flatMap(Criterion.Role.init(rawValue:)) ?? .instructor, at: entry["at"]?.timestamp ?? registeredAt)
        }
        let awards = (fields["awards"]?.elements ?? []).map { value in
            let entry = value.fields
            return HeldAward(
                badge: entry["badge"]?.text ?? "", issuedAt: entry["issuedAt"]?.timestamp ?? registeredAt, validUntil: entry["validUntil"]?.timestamp,
                revoked: entry["revoked"] == .bool(true), credential: entry["credential"]?.text)
        }
        return ClientFile(client: client, assessments: assessments, attestations: attestations, heldAwards: awards)
    }

    /// Reads one assessment, written as an entry of a record's `assessments` list, for a client.
    ///
    /// - Throws: ``CoreError`` with every problem and its JSON path (`assessments[0].…`).
    public static func readAssessment(_ data: Data, client: String, compiled: CompiledDefinitions, now: Timestamp) throws(CoreError) -> StoredAssessment {
        guard let entry = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw CoreError(.invalid, key: "assessment.notJSON")
        }
        let record = JSONValue.object(["client": .string(client), "assessments": [entry]]).jsonBytes()
        let file = try read(Data(record), compiled: compiled, registeredAt: now)
        return file.assessments[0]
    }

    /// A bound record as the store keeps it (ids instead of indices), for generated populations.
    public static func file(of record: ClientRecord, registeredAt: Timestamp) -> ClientFile {
        let compiled = record.compiled
        let assessments = record.assessments.map { assessment in
            let instrument = assessment.instrument.map { compiled.instruments[$0] }
            return StoredAssessment(
                id: assessment.id, assessedAt: assessment.assessedAt, assessor: assessment.assessor, evidence: assessment.evidence,
                instrument: instrument?.id, checkpoint: assessment.checkpoint,
                responses: assessment.responses.map { .init(item: instrument?.items[$0.item].id ?? "", value: $0.value) },
                levels: assessment.levels.map { .init(competence: compiled.competenceCodes[$0.competence], level: $0.level) })
        }
        return ClientFile(
            client: StoredClient(id: record.client, registeredAt: registeredAt), assessments: assessments,
            attestations: record.attestations.map { .init(badge: compiled.badges[$0.badge].id, by: $0.by, role: $0.role, at: $0.at) },
            heldAwards: record.awards.map {
                HeldAward(badge: compiled.badges[$0.badge].id, issuedAt: $0.issuedAt, validUntil: $0.validUntil, revoked: $0.revoked)
            })
    }

    /// Writes a client file in the record format.
    public static func write(_ file: ClientFile) -> [UInt8] {
        var fields: [String: JSONValue] = ["client": .string(file.client.id)]
        if let schema = file.client.schemaReference { fields["$schema"] = .string(schema) }
        let assessments: [JSONValue] = file.assessments.map { assessment in
            var entry: [String: JSONValue] = [
                "id": .string(assessment.id), "assessedAt": .string(assessment.assessedAt.description), "assessor": .string(assessment.assessor),
                "evidence": .string(assessment.evidence.rawValue),
            ]
            entry["instrument"] = assessment.instrument.map(JSONValue.string)
            entry["checkpoint"] = assessment.checkpoint.map(JSONValue.string)
            entry["note"] = assessment.note.map(JSONValue.string)
            if !assessment.responses.isEmpty {
                entry["responses"] = .array(assessment.responses.map { .object(["item": .string($0.item), "value": .int($0.value)]) })
            }
            if !assessment.levels.isEmpty {
                entry["levels"] = .array(assessment.levels.map { .object(["competence": .string($0.competence), "level": .int($0.level)]) })
            }
            return .object(entry)
        }
        let attestations: [JSONValue] = file.attestations.map {
            .object(["badge": .string($0.badge), "by": .string($0.by), "role": .string($0.role.rawValue), "at": .string($0.at.description)])
        }
        var awards: [JSONValue] = file.heldAwards.map { award in
            var entry: [String: JSONValue] = ["badge": .string(award.badge), "issuedAt": .string(award.issuedAt.description)]
            entry["validUntil"] = award.validUntil.map { .string($0.description) }
            if award.revoked { entry["revoked"] = true }
            entry["credential"] = award.credential.map(JSONValue.string)
            return .object(entry)
        }
        awards += file.credentials.map { credential in
            var entry: [String: JSONValue] = [
                "badge": .string(credential.badge), "issuedAt": .string(credential.issuedAt.description), "credential": .string(credential.id),
            ]
            entry["validUntil"] = credential.validUntil.map { .string($0.description) }
            if file.isRevoked(credential.id) { entry["revoked"] = true }
            return .object(entry)
        }
        if !assessments.isEmpty { fields["assessments"] = .array(assessments) }
        if !attestations.isEmpty { fields["attestations"] = .array(attestations) }
        if !awards.isEmpty { fields["awards"] = .array(awards) }
        return JSONValue.object(fields).prettyJSONBytes()
    }
}

extension JSONValue {
    fileprivate var text: String? { if case .string(let value) = self { value } else { nil } }
    fileprivate var integer: Int? {
        switch self {
        case .int(let value): value
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }
    fileprivate var elements: [JSONValue] { if case .array(let values) = self { values } else { [] } }
    fileprivate var fields: [String: JSONValue] { if case .object(let values) = self { values } else { [:] } }
    fileprivate var timestamp: Timestamp? { text.flatMap { try? Timestamp.parse($0).get() } }
}
