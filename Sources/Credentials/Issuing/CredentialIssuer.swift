public import Definitions
public import Evaluation
import Foundation
import JWTKit

/// The credential formats Merkisto issues.
public enum CredentialFormat: String, Sendable, CaseIterable {
    /// OB 3.0 OpenBadgeCredential secured as a VC-JWT.
    case ob3JWT = "ob3-jwt"
    /// OB 2.0 assertion signed as a compact JWS (RS256).
    case ob2Signed = "ob2-signed"
    /// OB 2.0 hosted assertion (JSON served at its id).
    case ob2Hosted = "ob2-hosted"
}

/// What `issue` produced: the exact bytes and the facts the ledger records.
public struct IssuedDocument: Sendable {
    public var id: String
    public var format: CredentialFormat
    public var badge: String
    /// The exact bytes issued: a compact JWS, or JSON for a hosted assertion.
    public var bytes: [UInt8]
    public var keyID: String?
    public var issuedAt: Timestamp
    public var validUntil: Timestamp?
    /// The recipient as it appears in the credential (an identity hash or a subject id).
    public var recipient: String
    public var definitionsDigest: String
    /// Where a hosted assertion must be published (relative path), for hosted badges.
    public var hostedPath: String?
}

/// The badge was not earned: nothing is issued; the result explains why.
public struct NotEarned: Error, Sendable {
    public var badge: String
    public var result: EvaluationResult
}

/// Issues credentials: evaluates the client first, refuses unearned badges, builds and signs the document.
public struct CredentialIssuer: Sendable {
    public let compiled: CompiledDefinitions
    public let keys: KeyStore
    public let layout: PublishLayout
    public let issuer: Issuer
    public var language: Language

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

    /// Issues one credential.
    ///
    /// - Throws: ``NotEarned`` when the badge's criteria do not hold at `now`; ``CredentialError`` for keys and input.
    public func issue(
        _ record: ClientRecord, badge badgeID: String, format: CredentialFormat, recipient: Recipient, kid: String? = nil,
        algorithm: SigningAlgorithm? = nil, now: Timestamp
    ) async throws -> IssuedDocument {
        guard let badge = compiled.definitions.badge(badgeID) else {
            throw CredentialError.invalidInput(
                "there is no badge \"\(badgeID)\"; known badges: \(compiled.definitions.badges.map(\.id).sorted().joined(separator: ", "))")
        }
        let result = Evaluator(compiled).evaluate(record, at: now)
        guard result.badges.first(where: { $0.id == badgeID })?.earned == true else {
            throw NotEarned(badge: badgeID, result: result)
        }
        let facts = try BadgeFacts(badge: badge, result: result, compiled: compiled, language: language)
        let issuedAt = Timestamp(microseconds: now.seconds * 1_000_000)
        let validUntil = badge.validityMonths.map { issuedAt.addingMonths($0) }
        let imageExtension = URL(fileURLWithPath: badge.imagePath).pathExtension.lowercased()
        let uuid = UUID().uuidString.lowercased()

        switch format {
        case .ob3JWT:
            let key = try keys.signingKey(kid: kid, algorithm: algorithm)
            var subjectID = "urn:uuid:" + UUID().uuidString.lowercased()
            var identifier: JSONValue?
            var recipientValue = subjectID
            switch recipient {
            case .email(let email):
                let salt = Recipient.randomSalt()
                let hash = Recipient.identityHash(Recipient.normalize(email: email), salt: salt)
                identifier = .object([
                    "type": "IdentityObject", "identityHash": .string(hash), "identityType": "emailAddress", "hashed": true,
                    "salt": .string(salt),
                ])
                recipientValue = hash
            case .subjectID(let id):
                subjectID = id
                recipientValue = id
            case .anonymous:
                break
            }
            let builder = OpenBadgeCredentialBuilder(layout: layout, issuer: issuer, language: language)
            let id = "urn:uuid:" + uuid
            guard
                case .object(var payload) = builder.credential(
                    id: id, subjectID: subjectID, identifier: identifier, facts: facts, validFrom: issuedAt, validUntil: validUntil,
                    imageExtension: imageExtension)
            else { throw CredentialError.invalidInput("internal: the credential is not an object") }
            payload["iss"] = .string(layout.issuerProfile)
            payload["jti"] = .string(id)
            payload["sub"] = .string(subjectID)
            payload["nbf"] = .int(Int(issuedAt.seconds))
            if let validUntil { payload["exp"] = .int(Int(validUntil.seconds)) }
            let token = try await sign(.object(payload), with: key, kidHeader: layout.jwk(key.kid), includeType: true)
            return IssuedDocument(
                id: id, format: format, badge: badgeID, bytes: Array(token.utf8), keyID: key.kid, issuedAt: issuedAt, validUntil: validUntil,
                recipient: recipientValue, definitionsDigest: compiled.digest, hostedPath: nil)

        case .ob2Signed, .ob2Hosted:
            let salt = Recipient.randomSalt()
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
                identity = "urn:uuid:" + UUID().uuidString.lowercased()
                type = "url"
            }
            let hash = Recipient.identityHash(identity, salt: salt)
            let recipientObject: JSONValue = .object(["type": .string(type), "hashed": true, "salt": .string(salt), "identity": .string(hash)])
            let builder = OB2DocumentBuilder(layout: layout, issuer: issuer, language: language)
            if format == .ob2Hosted {
                let id = layout.hostedAssertion(uuid)
                let assertion = builder.assertion(
                    id: id, recipient: recipientObject, facts: facts, issuedOn: issuedAt, expires: validUntil, signedBy: nil)
                return IssuedDocument(
                    id: id, format: format, badge: badgeID, bytes: Array(try assertion.encoded()), keyID: nil, issuedAt: issuedAt,
                    validUntil: validUntil, recipient: hash, definitionsDigest: compiled.digest, hostedPath: layout.hostedAssertionPath(uuid))
            }
            let key = try keys.signingKey(kid: kid, algorithm: .rs256)
            let id = "urn:uuid:" + uuid
            let assertion = builder.assertion(
                id: id, recipient: recipientObject, facts: facts, issuedOn: issuedAt, expires: validUntil, signedBy: key.kid)
            let token = try await sign(assertion, with: key, kidHeader: nil, includeType: false)
            return IssuedDocument(
                id: id, format: format, badge: badgeID, bytes: Array(token.utf8), keyID: key.kid, issuedAt: issuedAt, validUntil: validUntil,
                recipient: hash, definitionsDigest: compiled.digest, hostedPath: nil)
        }
    }

    /// Signs a JSON document as a compact JWS through jwt-kit.
    func sign(_ document: JSONValue, with key: StoredKey, kidHeader: String?, includeType: Bool) async throws -> String {
        // jwt-kit writes the identifier a signer is registered under into the `kid` header, so the signer is
        // registered under the public key's URL (OB 3.0) or as the default without a `kid` (OB 2.0).
        let collection = JWTKeyCollection(defaultJWTSerializer: JOSESerialization.serializer)
        let identifier = kidHeader.map { JWKIdentifier(string: $0) }
        try await keys.material(for: key).add(to: collection, kid: identifier)
        var header = JWTHeader()
        header.alg = key.algorithm.rawValue
        if includeType { header.typ = "JWT" }
        return try await collection.sign(DocumentPayload(document), kid: identifier, header: header)
    }
}
