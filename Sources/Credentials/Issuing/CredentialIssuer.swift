public import Basics
public import Definitions
public import Evaluation
import Crypto
import Foundation

/// The badge was not earned: nothing is issued; the result explains why.
public struct NotEarned: Error, Sendable {
    public var badge: String
    public var result: EvaluationResult
}

/// A signing key resolved once (manifest checked, private key read), to sign many documents.
public struct Signer: Sendable {
    public let key: StoredKey
    let material: KeyMaterial
}

extension KeyStore {
    /// The key to sign with, loaded: the named active key, or the newest active key of the algorithm.
    public func signer(kid: String?, algorithm: SigningAlgorithm?) throws -> Signer {
        let key = try signingKey(kid: kid, algorithm: algorithm)
        return Signer(key: key, material: try material(for: key))
    }

    /// The key a format is signed with: for `ob3-jwt` the named key or the newest of `algorithm` (ES256 by
    /// default), for `ob3-ldp` an Ed25519 key, for `ob2-signed` an RS256 key; none for `ob2-hosted`.
    public func signer(for format: CredentialFormat, kid: String?, algorithm: SigningAlgorithm?) throws -> Signer? {
        switch format {
        case .ob3JWT: try signer(kid: kid, algorithm: algorithm)
        case .ob3LDP: try signer(kid: kid, algorithm: .edDSA)
        case .ob2Signed: try signer(kid: kid, algorithm: .rs256)
        case .ob2Hosted: nil
        }
    }
}

/// Issues credentials: evaluates the client first, refuses unearned badges, builds and signs the document.
public struct CredentialIssuer: Sendable {
    public let compiled: CompiledDefinitions
    public let keys: KeyStore
    public let layout: PublishLayout
    public let issuer: Issuer
    public let language: Language
    private let cache = IssuerCache()

    public init(compiled: CompiledDefinitions, keys: KeyStore, baseURL: String? = nil, language: Language = .fi) throws {
        guard let issuer = compiled.definitions.issuers.first else {
            throw CredentialError.invalidInput("the definitions have no <issuer>; add issuer.xml before issuing")
        }
        self.compiled = compiled
        self.keys = keys
        self.issuer = issuer
        self.layout = PublishLayout(baseURL: baseURL ?? issuer.baseURL, issuerID: issuer.id)
        self.language = language
    }

    /// Issues one credential: evaluates `record` at `now` and signs with the named key or the newest active one.
    ///
    /// - Throws: ``NotEarned`` when the badge's criteria do not hold at `now`; ``CredentialError`` for keys and input.
    public func issue(
        _ record: ClientRecord, badge badgeID: String, format: CredentialFormat, recipient: Recipient, kid: String? = nil,
        algorithm: SigningAlgorithm? = nil, status: StatusListEntry? = nil, now: Timestamp
    ) throws -> IssuedCredential {
        let result = try requireEarned(record, badge: badgeID, now: now)
        let signer = try keys.signer(for: format, kid: kid, algorithm: algorithm)
        return try issue(earned: result, badge: badgeID, format: format, recipient: recipient, signer: signer, status: status, now: now)
    }

    /// The explained evaluation of `record` at `now` when the badge is earned in it.
    ///
    /// - Throws: ``NotEarned`` when it is not; ``CredentialError`` for an unknown badge.
    public func requireEarned(_ record: ClientRecord, badge badgeID: String, now: Timestamp) throws -> EvaluationResult {
        let result = Evaluator(compiled).evaluate(record, at: now)
        _ = try badge(badgeID)
        guard result.badges.first(where: { $0.id == badgeID })?.earned == true else {
            throw NotEarned(badge: badgeID, result: result)
        }
        return result
    }

    /// Builds and signs a credential from an evaluation in which the badge is earned (checked by the caller).
    ///
    /// - Parameters:
    ///   - signer: the key for `ob3-jwt`, `ob3-ldp` (Ed25519) and `ob2-signed` (RS256); ignored for `ob2-hosted`.
    ///   - status: the OB 3.0 credential's place in the status lists (its `credentialStatus`); without it the
    ///     credential has none. OB 2.0 assertions are revoked through the RevocationList.
    public func issue(
        earned result: EvaluationResult, badge badgeID: String, format: CredentialFormat, recipient: Recipient, signer: Signer?,
        status: StatusListEntry? = nil, now: Timestamp
    ) throws -> IssuedCredential {
        let issuedAt = Timestamp(microseconds: now.seconds * 1_000_000)
        // All the randomness of one credential in one call: its id, a subject id, a salt. An OB 3.0 credential's
        // id is ordered by time (version 7); OB 2.0 ids stay version 4, the only kinds (1-5) the 1EdTech OB 2.0
        // validator reads as a UUID. The subject id is wholly random (it tells nothing, not even when).
        let random = randomBytes(40)
        let uuid = format == .ob3JWT || format == .ob3LDP ? Recipient.timeOrderedUUID(random: random[0..<8]) : Recipient.uuid(from: random[0..<16])

        switch format {
        case .ob3JWT:
            guard let signer else { throw CredentialError.invalidInput("an ob3-jwt credential needs a signing key") }
            let id = "urn:uuid:" + uuid
            let shape = TemplateShape(hashedEmail: { if case .email = recipient { true } else { false } }(), hasStatus: status != nil)
            let template = try cache.template(TemplateKey(badge: badgeID, shape: shape)) {
                try ob3Template(try cache.facts(for: try badge(badgeID), compiled: compiled, language: language), shape: shape)
            }
            let validUntil = template.validityMonths.map { issuedAt.addingMonths($0) }
            let (subjectID, recipientValue, email) = ob3Subject(recipient, random: random)
            let encodedHeader = cache.header(kid: signer.key.kid) {
                var encoded: [UInt8] = []
                Base64URL.append(JWS.header(algorithm: signer.key.algorithm, kid: layout.jwk(signer.key.kid), type: "JWT"), to: &encoded)
                return encoded
            }
            var values = [[UInt8]](repeating: [], count: OB3Slot.firstLevel + template.levels.count)
            values[OB3Slot.id] = PayloadTemplate.json(id)
            values[OB3Slot.subject] = PayloadTemplate.json(subjectID)
            values[OB3Slot.validFrom] = PayloadTemplate.json(issuedAt.utcDescription)
            values[OB3Slot.notBefore] = PayloadTemplate.json(Int(issuedAt.seconds))
            if let validUntil {
                values[OB3Slot.validUntil] = PayloadTemplate.json(validUntil.utcDescription)
                values[OB3Slot.expires] = PayloadTemplate.json(Int(validUntil.seconds))
            }
            if let email {
                values[OB3Slot.identityHash] = PayloadTemplate.json(email.hash)
                values[OB3Slot.salt] = PayloadTemplate.json(email.salt)
            }
            if let status {
                let list = layout.statusList(.revocation, status.list)
                values[OB3Slot.statusID] = PayloadTemplate.json(list + "#" + String(status.index))
                values[OB3Slot.statusList] = PayloadTemplate.json(list)
                values[OB3Slot.statusIndex] = PayloadTemplate.json(String(status.index))
            }
            // The evidence narrative goes straight into JSON; its fixed words were checked to need no escaping.
            var achieved = [Int](repeating: 0, count: template.levels.count)
            var narrative: [UInt8] = [UInt8(ascii: "\"")]
            template.narrative.write(result, levels: &achieved, into: &narrative)
            narrative.append(UInt8(ascii: "\""))
            if !template.narrative.isJSONSafe {
                narrative = PayloadTemplate.json(String(decoding: narrative.dropFirst().dropLast(), as: UTF8.self))
            }
            values[OB3Slot.evidence] = narrative
            for (index, levels) in template.levels.enumerated() {
                values[OB3Slot.firstLevel + index] = levels[min(max(achieved[index], 0), levels.count - 1)]
            }
            let prefix = cache.prefix(TemplateKey(badge: badgeID, shape: shape), kid: signer.key.kid) {
                HashedPrefix(encodedHeader + [UInt8(ascii: ".")] + template.payload.encodedStart)
            }
            let token = try JWS.compact(encodedHeader: encodedHeader, key: signer.material, hashedPrefix: prefix) {
                try template.payload.encode(values, into: &$0)
            }
            return IssuedCredential(
                id: id, badge: badgeID, client: result.client, recipient: recipientValue, format: format, keyID: signer.key.kid, issuedAt: issuedAt, validUntil: validUntil, definitionsDigest: compiled.digest, language: language, bytes: token, status: status)

        case .ob3LDP:
            guard let signer, case .edDSA(let key) = signer.material.backing else {
                throw CredentialError(
                    code: .wrongAlgorithm,
                    message: "ob3-ldp credentials are signed with an Ed25519 key; make one with `merkisto keys generate --alg EdDSA`")
            }
            let id = "urn:uuid:" + uuid
            let shape = TemplateShape(hashedEmail: { if case .email = recipient { true } else { false } }(), hasStatus: status != nil)
            let template = try cache.signedTemplate(TemplateKey(badge: badgeID, shape: shape)) {
                try ldpTemplate(try cache.facts(for: try badge(badgeID), compiled: compiled, language: language), shape: shape)
            }
            let validUntil = template.validityMonths.map { issuedAt.addingMonths($0) }
            let (subjectID, recipientValue, email) = ob3Subject(recipient, random: random)
            var values = [String?](repeating: nil, count: OB3Slot.firstLevel + template.levels.count)
            values[OB3Slot.id] = id
            values[OB3Slot.subject] = subjectID
            values[OB3Slot.validFrom] = issuedAt.utcDescription
            if let validUntil { values[OB3Slot.validUntil] = validUntil.utcDescription }
            if let email {
                values[OB3Slot.identityHash] = email.hash
                values[OB3Slot.salt] = email.salt
            }
            if let status {
                let list = layout.statusList(.revocation, status.list)
                values[OB3Slot.statusID] = list + "#" + String(status.index)
                values[OB3Slot.statusList] = list
                values[OB3Slot.statusIndex] = String(status.index)
            }
            let (narrative, achieved) = template.narrative.text(result)
            values[OB3Slot.evidence] = narrative
            for (index, levels) in template.levels.enumerated() {
                values[OB3Slot.firstLevel + index] = levels[min(max(achieved[index], 0), levels.count - 1)]
            }
            let method = layout.verificationMethod(signer.key.kid)
            let options = try cache.proofOptions(method: method) {
                var configuration = DataIntegrity.configuration(verificationMethod: method, created: SignedDocumentTemplate.marker(0))
                configuration["@context"] = OpenBadgeCredentialBuilder.contexts
                return try SignedDocumentTemplate(configuration, proofSlot: 1)
            }
            let created = issuedAt.utcDescription
            let proofValue: String
            do {
                let data =
                    try cache.proofHash(method: method, created: created) { try options.canonicalHash([created]) }
                    + (try template.document.canonicalHash(values))
                proofValue = try DataIntegrity.signature(data, key: key)
            } catch {
                throw CredentialError.invalidInput("cannot sign the credential: \(error)")
            }
            var proof = DataIntegrity.configuration(verificationMethod: method, created: created)
            proof["proofValue"] = .string(proofValue)
            let bytes = try template.document.json(values, proof: JSONValue.array([.object(proof)]).jsonBytes())
            return IssuedCredential(
                id: id, badge: badgeID, client: result.client, recipient: recipientValue, format: format, keyID: signer.key.kid, issuedAt: issuedAt, validUntil: validUntil, definitionsDigest: compiled.digest, language: language, bytes: bytes, status: status)

        case .ob2Signed, .ob2Hosted:
            let badge = try badge(badgeID)
            let validUntil = badge.validityMonths.map { issuedAt.addingMonths($0) }
            var facts = try cache.facts(for: badge, compiled: compiled, language: language)
            facts.personalise(with: result)
            let salt = Recipient.salt(from: random[32..<40])
            let identity: String
            let type: String
            switch recipient {
            case .email(let email):
                identity = Recipient.normalize(email: email)
                type = "email"
            case .subjectID(let id):
                identity = id
                type = "url"
            case .anonymous:
                identity = "urn:uuid:" + Recipient.uuid(from: random[16..<32])
                type = "url"
            }
            let hash = Recipient.identityHash(identity, salt: salt)
            let recipientObject: JSONValue = .object(["type": .string(type), "hashed": true, "salt": .string(salt), "identity": .string(hash)])
            let builder = OB2DocumentBuilder(layout: layout, issuer: issuer, language: language)
            if format == .ob2Hosted {
                let id = layout.hostedAssertion(uuid)
                let assertion = builder.assertion(
                    id: id, recipient: recipientObject, facts: facts, issuedOn: issuedAt, expires: validUntil, signedBy: nil)
                return IssuedCredential(
                id: id, badge: badgeID, client: result.client, recipient: hash, format: format, keyID: nil, issuedAt: issuedAt, validUntil: validUntil, definitionsDigest: compiled.digest, language: language, bytes: assertion.prettyJSONBytes(), status: nil)
            }
            guard let signer, signer.key.algorithm == .rs256 else {
                throw CredentialError(code: .wrongAlgorithm, message: "OB 2.0 signed assertions are signed with an RS256 key")
            }
            let id = "urn:uuid:" + uuid
            let assertion = builder.assertion(
                id: id, recipient: recipientObject, facts: facts, issuedOn: issuedAt, expires: validUntil, signedBy: signer.key.kid)
            let token = try JWS.sign(assertion, header: JWS.header(algorithm: .rs256, kid: nil, type: nil), key: signer.material)
            return IssuedCredential(
                id: id, badge: badgeID, client: result.client, recipient: hash, format: format, keyID: signer.key.kid, issuedAt: issuedAt, validUntil: validUntil, definitionsDigest: compiled.digest, language: language, bytes: token, status: nil)
        }
    }

    /// An OB 3.0 credential's subject id, the recipient as the ledger records it, and the e-mail identity
    /// (hash and salt), from the credential's random bytes.
    private func ob3Subject(_ recipient: Recipient, random: [UInt8]) -> (subjectID: String, recipient: String, email: (hash: String, salt: String)?) {
        switch recipient {
        case .email(let address):
            let subjectID = "urn:uuid:" + Recipient.uuid(from: random[16..<32])
            let salt = Recipient.salt(from: random[32..<40])
            let hash = Recipient.identityHash(Recipient.normalize(email: address), salt: salt)
            return (subjectID, hash, (hash, salt))
        case .subjectID(let value):
            return (value, value, nil)
        case .anonymous:
            let subjectID = "urn:uuid:" + Recipient.uuid(from: random[16..<32])
            return (subjectID, subjectID, nil)
        }
    }

    private func badge(_ id: String) throws -> Badge {
        guard let badge = compiled.definitions.badge(id) else {
            throw CredentialError.invalidInput(
                "there is no badge \"\(id)\"; known badges: \(compiled.definitions.badges.map(\.id).sorted().joined(separator: ", "))")
        }
        return badge
    }

    /// The OB 3.0 credential with `marker(slot)` in every per-credential place (see ``OB3Slot``).
    private func markedCredential(
        _ facts: BadgeFacts, shape: TemplateShape, securing: OpenBadgeCredentialBuilder.Securing, marker: (Int) -> String
    ) -> (document: [String: JSONValue], builder: OpenBadgeCredentialBuilder) {
        let builder = OpenBadgeCredentialBuilder(layout: layout, issuer: issuer, language: language, securing: securing)
        let identifier: JSONValue? =
            shape.hashedEmail
            ? .object([
                "type": "IdentityObject", "identityHash": .string(marker(OB3Slot.identityHash)), "identityType": "emailAddress",
                "hashed": true, "salt": .string(marker(OB3Slot.salt)),
            ]) : nil
        guard
            case .object(var document) = builder.credential(
                id: marker(OB3Slot.id), subjectID: marker(OB3Slot.subject), identifier: identifier, facts: facts,
                validFrom: marker(OB3Slot.validFrom), validUntil: facts.badge.validityMonths != nil ? marker(OB3Slot.validUntil) : nil,
                achievedLevels: facts.competences.indices.map { marker(OB3Slot.firstLevel + $0) },
                evidenceNarrative: marker(OB3Slot.evidence), imageExtension: URL(fileURLWithPath: facts.badge.imagePath).pathExtension.lowercased(),
                securing: securing)
        else { preconditionFailure("the credential builder returns an object") }
        if shape.hasStatus {
            guard case .object(var entry) = builder.statusEntry(listURL: marker(OB3Slot.statusList), index: marker(OB3Slot.statusIndex)) else {
                preconditionFailure("a status entry is an object")
            }
            entry["id"] = .string(marker(OB3Slot.statusID))
            document["credentialStatus"] = .object(entry)
        }
        return (document, builder)
    }

    /// Each rubric level id (index = level) of each aligned competence, for `achievedLevel`.
    private func levelIDs(_ facts: BadgeFacts, builder: OpenBadgeCredentialBuilder) -> [[String]] {
        let achievementID = layout.achievement(facts.badge.id)
        let topLevel = facts.framework.levels.map(\.value).max() ?? 0
        return facts.competences.map { competence in (0...max(topLevel, 0)).map { builder.levelID(achievementID, competence.code, $0) } }
    }

    /// The OB 3.0 credential without VC-JWT claims, for a Data Integrity proof; its issuer is the did:web
    /// the proof's verification method belongs to.
    private func ldpTemplate(_ facts: BadgeFacts, shape: TemplateShape) throws -> LDPTemplate {
        let (document, builder) = markedCredential(facts, shape: shape, securing: .dataIntegrity, marker: SignedDocumentTemplate.marker)
        do {
            return LDPTemplate(
                document: try SignedDocumentTemplate(document, proofSlot: OB3Slot.firstLevel + facts.competences.count),
                levels: levelIDs(facts, builder: builder), narrative: facts.narrative, validityMonths: facts.badge.validityMonths)
        } catch {
            throw CredentialError.invalidInput("the credential of badge \(facts.badge.id) is not JSON-LD the bundled contexts define: \(error)")
        }
    }

    /// Slots of the OB 3.0 templates; achieved levels follow from `firstLevel`, one per aligned competence.
    private enum OB3Slot {
        static let id = 0, subject = 1, validFrom = 2, notBefore = 3, validUntil = 4, expires = 5, evidence = 6
        static let identityHash = 7, salt = 8, statusID = 9, statusList = 10, statusIndex = 11, firstLevel = 12
    }

    /// The OB 3.0 credential with its VC-JWT claims, markers in every per-credential place, and the JSON
    /// of every rubric level id each competence's `achievedLevel` can take.
    private func ob3Template(_ facts: BadgeFacts, shape: TemplateShape) throws -> OB3Template {
        func marker(_ slot: Int) -> String { PayloadTemplate.marker(slot) }
        var (payload, builder) = markedCredential(facts, shape: shape, securing: .jwt, marker: marker)
        payload["iss"] = .string(layout.issuerProfile)
        payload["jti"] = .string(marker(OB3Slot.id))
        payload["sub"] = .string(marker(OB3Slot.subject))
        payload["nbf"] = .string(marker(OB3Slot.notBefore))
        if facts.badge.validityMonths != nil { payload["exp"] = .string(marker(OB3Slot.expires)) }
        return OB3Template(
            payload: try PayloadTemplate(.object(payload)), levels: levelIDs(facts, builder: builder).map { $0.map(PayloadTemplate.json) },
            narrative: facts.narrative, validityMonths: facts.badge.validityMonths)
    }
}

/// What a badge's template varies by besides the badge: the recipient kind and whether the credential has
/// a place in the status lists.
private struct TemplateShape: Hashable {
    var hashedEmail: Bool
    var hasStatus: Bool
}

private struct TemplateKey: Hashable {
    var badge: String
    var shape: TemplateShape
}

/// An OB 3.0 credential to be secured with a Data Integrity proof: the document template, per aligned
/// competence each level id (index = level), and the compiled evidence narrative.
private struct LDPTemplate: Sendable {
    var document: SignedDocumentTemplate
    var levels: [[String]]
    var narrative: EvidenceNarrative
    var validityMonths: Int?
}

/// An OB 3.0 payload template, per aligned competence the JSON of each level id (index = level), and the
/// compiled evidence narrative.
private struct OB3Template: Sendable {
    var payload: PayloadTemplate
    var levels: [[[UInt8]]]
    var narrative: EvidenceNarrative
    var validityMonths: Int?
}



/// Per-issuer memory of what does not change between credentials: each badge's texts and competences,
/// each badge's OB 3.0 payload template and each key's encoded JOSE header.
private final class IssuerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var facts: [String: BadgeFacts] = [:]
    private var templates: [TemplateKey: OB3Template] = [:]
    private var headers: [String: [UInt8]] = [:]
    private var prefixes: [PrefixKey: HashedPrefix] = [:]
    private var signedTemplates: [TemplateKey: LDPTemplate] = [:]
    private var proofOptions: [String: SignedDocumentTemplate] = [:]
    /// The hash of the last proof configuration made (a verification method and a `created` second): the
    /// credentials of one second share it.
    private var lastProofHash: (method: String, created: String, hash: [UInt8])?

    private struct PrefixKey: Hashable {
        var template: TemplateKey
        var kid: String
    }

    /// The hash state after a token's constant start (header and the template's first fixed run).
    func prefix(_ template: TemplateKey, kid: String, build: () -> HashedPrefix) -> HashedPrefix {
        memo(\.prefixes, PrefixKey(template: template, kid: kid), build)
    }

    func signedTemplate(_ key: TemplateKey, build: () throws -> LDPTemplate) rethrows -> LDPTemplate {
        try memo(\.signedTemplates, key, build)
    }

    /// The proof configuration of a verification method, with a slot for `created`.
    func proofOptions(method: String, build: () throws -> SignedDocumentTemplate) rethrows -> SignedDocumentTemplate {
        try memo(\.proofOptions, method, build)
    }

    /// The canonical hash of the proof configuration for `method` and `created`, made again only when either
    /// differs from the last one's.
    func proofHash(method: String, created: String, build: () throws -> [UInt8]) rethrows -> [UInt8] {
        if let last = lock.withLock({ lastProofHash }), last.method == method, last.created == created { return last.hash }
        let hash = try build()
        lock.withLock { lastProofHash = (method, created, hash) }
        return hash
    }

    func header(kid: String, build: () -> [UInt8]) -> [UInt8] {
        memo(\.headers, kid, build)
    }

    func facts(for badge: Badge, compiled: CompiledDefinitions, language: Language) throws -> BadgeFacts {
        try memo(\.facts, badge.id) { try BadgeFacts(badge: badge, result: nil, compiled: compiled, language: language) }
    }

    func template(_ key: TemplateKey, build: () throws -> OB3Template) rethrows -> OB3Template {
        try memo(\.templates, key, build)
    }

    /// The value under `key` in one of the tables, built outside the lock on first use.
    private func memo<Key: Hashable, Value>(
        _ table: ReferenceWritableKeyPath<IssuerCache, [Key: Value]>, _ key: Key, _ build: () throws -> Value
    ) rethrows -> Value {
        if let cached = lock.withLock({ self[keyPath: table][key] }) { return cached }
        let built = try build()
        lock.withLock { self[keyPath: table][key] = built }
        return built
    }
}
