import Basics
import Definitions
public import Foundation

/// Reads a client record (JSON) and checks it against the definitions.
///
/// Every problem is reported with its JSON path: wrong types, unknown keys, unknown instruments, items,
/// competences, checkpoints and badges, values outside their scale, levels outside the framework,
/// timestamps without an offset and duplicate ids. Reading never traps; a record with any error is
/// refused as a whole.
public struct ClientRecordReader: Sendable {
    public let definitions: CompiledDefinitions
    /// Client records are small; a bigger document is refused before it is parsed.
    public static let maximumBytes = 8 * 1024 * 1024

    public init(definitions: CompiledDefinitions) {
        self.definitions = definitions
    }

    /// Reads a record from JSON bytes.
    ///
    /// - Throws: ``ClientRecordErrors`` naming every problem.
    public func read(_ data: Data) throws(ClientRecordErrors) -> ClientRecord {
        guard data.count <= Self.maximumBytes else {
            throw ClientRecordErrors(errors: [ClientRecordError(path: "", message: "the file is larger than \(Self.maximumBytes / 1024 / 1024) MB")])
        }
        let value: JSONValue
        let bytes = [UInt8](data)
        do {
            // The strict reader: duplicate keys, invalid UTF-8, numbers out of range and nesting deeper than
            // 64 levels are refused, each with its place.
            value = try JSONBytes.parse(bytes)
        } catch {
            throw ClientRecordErrors(errors: [ClientRecordError(path: "", message: "not valid JSON: \(Self.place(error.offset, in: bytes)): \(error.reason)")])
        }
        var context = Context(definitions: definitions)
        let record = context.record(value)
        if !context.errors.isEmpty { throw ClientRecordErrors(errors: context.errors) }
        return record
    }

    /// "line L, column C" of a byte offset (columns count characters).
    static func place(_ offset: Int, in bytes: [UInt8]) -> String {
        let before = bytes[..<min(offset, bytes.count)]
        let line = before.count(where: { $0 == 0x0A }) + 1
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<min(offset, bytes.count)], as: UTF8.self).count + 1
        return "line \(line), column \(column)"
    }
}

/// The walk over one document, collecting errors with paths.
private struct Context {
    let definitions: CompiledDefinitions
    var errors: [ClientRecordError] = []

    init(definitions: CompiledDefinitions) {
        self.definitions = definitions
    }

    mutating func fail(_ path: String, _ message: String) {
        errors.append(ClientRecordError(path: path, message: message))
    }

    // MARK: Shapes

    mutating func object(_ value: JSONValue, _ path: String, required: [String], optional: [String]) -> [String: JSONValue]? {
        guard case .object(let fields) = value else {
            fail(path, "expected an object, found \(value.typeName)")
            return nil
        }
        for key in required where fields[key] == nil {
            fail(path, "the required field \"\(key)\" is missing")
        }
        let known = Set(required + optional)
        for key in fields.keys.sorted() where !known.contains(key) {
            fail(join(path, key), "unknown field; expected one of \(known.sorted().joined(separator: ", "))")
        }
        return fields
    }

    mutating func string(_ value: JSONValue?, _ path: String, pattern: IDPattern? = nil) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else {
            fail(path, "expected a string, found \(value.typeName)")
            return nil
        }
        if let pattern, !pattern.matches(text) {
            fail(path, "\"\(text)\" is not a valid \(pattern.name); \(pattern.rule)")
            return nil
        }
        return text
    }

    mutating func int(_ value: JSONValue?, _ path: String) -> Int? {
        guard let value else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 1e15: return Int(number)
        default:
            fail(path, "expected a whole number, found \(value.typeName)")
            return nil
        }
    }

    mutating func bool(_ value: JSONValue?, _ path: String) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let flag) = value else {
            fail(path, "expected true or false, found \(value.typeName)")
            return nil
        }
        return flag
    }

    mutating func array(_ value: JSONValue?, _ path: String) -> [JSONValue] {
        guard let value else { return [] }
        guard case .array(let elements) = value else {
            fail(path, "expected an array, found \(value.typeName)")
            return []
        }
        return elements
    }

    mutating func timestamp(_ value: JSONValue?, _ path: String) -> Timestamp? {
        guard let text = string(value, path) else { return nil }
        switch Timestamp.parse(text) {
        case .success(let timestamp): return timestamp
        case .failure(.missingOffset):
            fail(path, "\"\(text)\" has no UTC offset; write it as RFC 3339 with an offset, e.g. \(text)+02:00 or \(text)Z")
        case .failure(.outOfRange):
            fail(path, "\"\(text)\" is not a real date and time")
        case .failure(.format):
            fail(path, "\"\(text)\" is not an RFC 3339 timestamp such as 2026-03-02T10:00:00+02:00")
        }
        return nil
    }

    mutating func evidence(_ value: JSONValue?, _ path: String) -> Evidence? {
        guard let text = string(value, path) else { return nil }
        guard let evidence = Evidence(rawValue: text) else {
            fail(path, "\"\(text)\" is not an evidence kind; use self, test or observed")
            return nil
        }
        return evidence
    }

    mutating func badge(_ value: JSONValue?, _ path: String) -> Int? {
        guard let id = string(value, path) else { return nil }
        return bind { $0.badge(id, path: path) }
    }

    /// Runs a reference check and keeps its errors.
    mutating func bind<T>(_ check: (inout ReferenceBinder) -> T) -> T {
        var binder = ReferenceBinder(compiled: definitions)
        let result = check(&binder)
        errors += binder.errors
        return result
    }

    // MARK: Record

    mutating func record(_ value: JSONValue) -> ClientRecord {
        guard
            let fields = object(
                value, "", required: ["client"], optional: ["$schema", "assessments", "attestations", "awards"])
        else { return ClientRecord(compiled: definitions, client: "") }
        let client = string(fields["client"], "client", pattern: .pseudonym) ?? ""
        var assessments: [ClientRecord.Assessment] = []
        var seenIDs: [String: Int] = [:]
        for (index, element) in array(fields["assessments"], "assessments").enumerated() {
            let path = "assessments[\(index)]"
            guard let assessment = assessment(element, path) else { continue }
            if let first = seenIDs[assessment.id] {
                fail(path + ".id", "\"\(assessment.id)\" is already the id of assessments[\(first)]; every assessment needs its own id")
            } else {
                seenIDs[assessment.id] = index
            }
            assessments.append(assessment)
        }
        var attestations: [ClientRecord.Attestation] = []
        for (index, element) in array(fields["attestations"], "attestations").enumerated() {
            let path = "attestations[\(index)]"
            guard let entry = object(element, path, required: ["badge", "by", "role", "at"], optional: []) else { continue }
            let badge = badge(entry["badge"], path + ".badge")
            let by = string(entry["by"], path + ".by", pattern: .pseudonym)
            var role: Criterion.Role?
            if let text = string(entry["role"], path + ".role") {
                role = Criterion.Role(rawValue: text)
                if role == nil { fail(path + ".role", "\"\(text)\" is not a role that can attest; use instructor or admin") }
            }
            let at = timestamp(entry["at"], path + ".at")
            if let badge, let by, let role, let at {
                attestations.append(ClientRecord.Attestation(badge: badge, by: by, role: role, at: at))
            }
        }
        var awards: [ClientRecord.Award] = []
        for (index, element) in array(fields["awards"], "awards").enumerated() {
            let path = "awards[\(index)]"
            guard let entry = object(element, path, required: ["badge", "issuedAt"], optional: ["validUntil", "revoked", "credential"])
            else { continue }
            let badge = badge(entry["badge"], path + ".badge")
            let issued = timestamp(entry["issuedAt"], path + ".issuedAt")
            let until = entry["validUntil"].flatMap { timestamp($0, path + ".validUntil") }
            let revoked = bool(entry["revoked"], path + ".revoked") ?? false
            _ = string(entry["credential"], path + ".credential")
            if let issued, let until, until <= issued {
                fail(path + ".validUntil", "\(until) is not after issuedAt \(issued)")
            }
            if let badge, let issued {
                awards.append(ClientRecord.Award(badge: badge, issuedAt: issued, validUntil: until, revoked: revoked))
            }
        }
        return ClientRecord(compiled: definitions, client: client, assessments: assessments, attestations: attestations, awards: awards)
    }

    mutating func assessment(_ value: JSONValue, _ path: String) -> ClientRecord.Assessment? {
        guard
            let fields = object(
                value, path, required: ["id", "assessedAt", "assessor", "evidence"],
                optional: ["instrument", "checkpoint", "responses", "levels", "note"])
        else { return nil }
        let id = string(fields["id"], path + ".id", pattern: .identifier)
        let at = timestamp(fields["assessedAt"], path + ".assessedAt")
        let assessor = string(fields["assessor"], path + ".assessor", pattern: .pseudonym)
        let evidence = evidence(fields["evidence"], path + ".evidence")
        _ = string(fields["note"], path + ".note")
        var instrument: Int?
        if let instrumentID = string(fields["instrument"], path + ".instrument") {
            instrument = bind { $0.instrument(instrumentID, path: path + ".instrument") }
        }
        var checkpoint: String?
        if let checkpointID = string(fields["checkpoint"], path + ".checkpoint") {
            let before = errors.count
            bind { $0.checkpoint(checkpointID, path: path + ".checkpoint") }
            if errors.count == before { checkpoint = checkpointID }
        }

        var responses: [ClientRecord.Response] = []
        let responseValues = array(fields["responses"], path + ".responses")
        if !responseValues.isEmpty, fields["instrument"] == nil {
            fail(path + ".responses", "responses need the \"instrument\" they answer")
        }
        var answered = [Int](repeating: -1, count: instrument.map { definitions.instruments[$0].items.count } ?? 0)
        var guess = 0
        for (index, element) in responseValues.enumerated() {
            let responsePath = "\(path).responses[\(index)]"
            guard let entry = object(element, responsePath, required: ["item", "value"], optional: []) else { continue }
            let itemID = string(entry["item"], responsePath + ".item")
            let value = int(entry["value"], responsePath + ".value")
            guard let instrument, let itemID else { continue }
            let items = definitions.instruments[instrument].items
            if let response = bind({
                $0.response(
                    instrument: instrument, items: items, item: itemID, value: value, path: { responsePath }, answered: &answered, index: index,
                    guess: guess)
            }) {
                responses.append(response)
                guess = response.item + 1
            }
        }

        var levels: [ClientRecord.DirectLevel] = []
        var rated: [Int: Int] = [:]
        for (index, element) in array(fields["levels"], path + ".levels").enumerated() {
            let levelPath = "\(path).levels[\(index)]"
            guard let entry = object(element, levelPath, required: ["competence", "level"], optional: []) else { continue }
            let code = string(entry["competence"], levelPath + ".competence")
            let level = int(entry["level"], levelPath + ".level")
            guard let code else { continue }
            if let direct = bind({ $0.level(code, level, path: levelPath, rated: &rated, index: index) }) {
                levels.append(direct)
            }
        }
        if responseValues.isEmpty && levels.isEmpty && rated.isEmpty && errors.isEmpty {
            fail(path, "an assessment needs responses, levels or both")
        }
        guard let id, let at, let assessor, let evidence else { return nil }
        return ClientRecord.Assessment(
            id: id, assessedAt: at, assessor: assessor, evidence: evidence, instrument: instrument, checkpoint: checkpoint,
            responses: responses, levels: levels)
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// Patterns for ids in client records.
struct IDPattern: Sendable {
    let name: String
    let rule: String
    /// Whether each byte may occur, by value (a table rather than a closure: ids are checked often).
    private let allowed: [Bool]

    init(name: String, rule: String, allowed: (UInt8) -> Bool) {
        self.name = name
        self.rule = rule
        self.allowed = (0...255).map { allowed(UInt8($0)) }
    }

    /// A pseudonymous id for a client or an assessor: letters, digits, `-` and `_`, at most 64.
    static let pseudonym = IDPattern(name: "pseudonymous id", rule: "use 1–64 letters a–z, digits, - or _ (never a name or a personal identity code)") {
        ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95
    }
    static let identifier = IDPattern(name: "id", rule: "use 1–64 letters a–z, digits, - or _") {
        ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95
    }

    func matches(_ text: String) -> Bool {
        let count = text.utf8.count
        return count > 0 && count <= 64 && allowed.withUnsafeBufferPointer { allowed in text.utf8.allSatisfy { allowed[Int($0)] } }
    }
}
