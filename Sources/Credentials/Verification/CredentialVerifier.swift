public import Evaluation
public import Foundation
import JWTKit

/// Checks a credential offline against published documents: signature, structure, dates, revocation and,
/// optionally, the recipient. Every failure is named (see ``VerificationFailure``).
public struct CredentialVerifier: Sendable {
    /// Public keys by kid (the `kid` of each JWK).
    let keys: [String: JSONValue]
    /// Revoked credential ids with reasons (OB 3.0 and OB 2.0 lists).
    let revoked: [String: String]
    /// Published files by path relative to the publish folder, for hosted assertions.
    let publishedDirectory: String?
    /// jwt-kit signers for the keys, built on first use and reused (key import is the costly part).
    private let signers = SignerCache()

    /// Trusts the keys and revocation lists in a folder written by `merkisto publish`.
    public init(publishedDirectory directory: String) throws {
        let layout = PublishLayout(baseURL: "", issuerID: "")
        var keys: [String: JSONValue] = [:]
        if let data = FileManager.default.contents(atPath: directory + "/" + layout.jwksPath) {
            keys = Self.keys(fromJWKS: try Self.decode(data, what: "the published JWKS"))
        }
        var revoked: [String: String] = [:]
        for path in [layout.revocationListPath, layout.ob2RevocationListPath] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + path) else { continue }
            guard case .object(let list) = try Self.decode(data, what: path) else { continue }
            for key in ["revokedCredential", "revokedAssertions"] {
                guard case .array(let entries)? = list[key] else { continue }
                for entry in entries {
                    if case .object(let fields) = entry, case .string(let id)? = fields["id"] {
                        if case .bool(false)? = fields["revoked"] { continue }
                        if case .string(let reason)? = fields["revocationReason"] { revoked[id] = reason } else { revoked[id] = "no reason given" }
                    } else if case .string(let id) = entry {
                        revoked[id] = "no reason given"
                    }
                }
            }
        }
        self.keys = keys
        self.revoked = revoked
        self.publishedDirectory = directory
    }

    /// Trusts the keys of a JWKS file; nothing is known about revocations.
    public init(jwksData data: Data) throws {
        keys = Self.keys(fromJWKS: try Self.decode(data, what: "the JWKS"))
        revoked = [:]
        publishedDirectory = nil
    }

    private static func keys(fromJWKS jwks: JSONValue) -> [String: JSONValue] {
        guard case .object(let fields) = jwks, case .array(let list)? = fields["keys"] else { return [:] }
        var keys: [String: JSONValue] = [:]
        for key in list {
            if case .object(let jwk) = key, case .string(let kid)? = jwk["kid"] { keys[kid] = key }
        }
        return keys
    }

    private static func decode(_ data: Data, what: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw CredentialError.invalidInput("\(what) is not valid JSON")
        }
    }

    /// Verifies a credential given as text: a compact JWS (OB 3.0 VC-JWT or OB 2.0 signed) or JSON (OB 2.0 hosted).
    public func verify(_ text: String, recipientEmail: String? = nil, now: Timestamp) async -> VerificationReport {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            return verifyHosted(trimmed, recipientEmail: recipientEmail, now: now)
        }
        return await verifyJWS(trimmed, recipientEmail: recipientEmail, now: now)
    }

    // MARK: JWS

    private func verifyJWS(_ token: String, recipientEmail: String?, now: Timestamp) async -> VerificationReport {
        var report = VerificationReport(kind: "JWS", failures: [])
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            report.failures.append(.malformed("not a compact JWS (header.payload.signature) nor a JSON document"))
            return report
        }
        // Every part must be canonical unpadded base64url, so that no two spellings verify.
        for (index, part) in parts.enumerated() {
            guard let bytes = Base64URL.decode(part), Base64URL.encode(bytes) == part, !bytes.isEmpty else {
                report.failures.append(.malformed("part \(index + 1) of the JWS is not canonical base64url"))
                return report
            }
        }
        guard let headerData = Base64URL.decode(parts[0]), case .object(let header)? = try? JSONDecoder().decode(JSONValue.self, from: headerData),
            case .string(let alg)? = header["alg"],
            let payloadData = Base64URL.decode(parts[1]), case .object(let payload)? = try? JSONDecoder().decode(JSONValue.self, from: payloadData)
        else {
            report.failures.append(.malformed("the JWS header or payload is not a JSON object"))
            return report
        }
        report.algorithm = alg
        let isOB2 = payload["@context"] == .string("https://w3id.org/openbadges/v2")
        report.kind = isOB2 ? "OB 2.0 signed" : "OB 3.0 VC-JWT"
        if case .string(let id)? = payload["id"] { report.id = id }

        // Which key: the OB 3.0 `kid` header, or the OB 2.0 `verification.creator`.
        var keyURL: String?
        if isOB2 {
            if case .object(let verification)? = payload["verification"], case .string(let creator)? = verification["creator"] { keyURL = creator }
        } else if case .string(let kid)? = header["kid"] {
            keyURL = kid
        }
        guard let keyURL, let kid = PublishLayout.kid(fromKeyURL: keyURL) ?? (keys[keyURL] != nil ? keyURL : nil) else {
            report.failures.append(.unknownKey("the credential does not say which key signed it"))
            return report
        }
        report.keyID = kid
        guard let jwkValue = keys[kid] else {
            report.failures.append(.unknownKey("key \(kid) is not among the published keys"))
            return report
        }
        if case .object(let jwk) = jwkValue, case .string(let keyAlg)? = jwk["alg"], keyAlg != alg {
            report.failures.append(.badSignature)
            return report
        }
        do {
            let collection = try await signers.collection(for: kid, jwk: jwkValue)
            _ = try await collection.verify(token, as: DocumentPayload.self)
        } catch {
            report.failures.append(.badSignature)
            return report
        }
        if isOB2 {
            checkOB2(payload, recipientEmail: recipientEmail, now: now, into: &report)
        } else {
            checkOB3(payload, recipientEmail: recipientEmail, now: now, into: &report)
        }
        return report
    }

    private func checkOB3(_ payload: [String: JSONValue], recipientEmail: String?, now: Timestamp, into report: inout VerificationReport) {
        guard case .array(let contexts)? = payload["@context"], contexts.first == .string("https://www.w3.org/ns/credentials/v2"),
            case .array(let types)? = payload["type"], types.contains(.string("OpenBadgeCredential")) || types.contains(.string("AchievementCredential")),
            case .string(let id)? = payload["id"], case .object(let issuer)? = payload["issuer"], case .string(let issuerID)? = issuer["id"],
            case .object(let subject)? = payload["credentialSubject"], case .object(let achievement)? = subject["achievement"],
            case .string(let validFromText)? = payload["validFrom"], case .success(let validFrom) = Timestamp.parse(validFromText)
        else {
            report.failures.append(.malformed("not an OB 3.0 OpenBadgeCredential (context, type, id, issuer, credentialSubject or validFrom)"))
            return
        }
        report.issuer = issuerID
        if case .string(let name)? = achievement["name"] { report.badgeName = name }
        if payload["iss"] != .string(issuerID) { report.failures.append(.claimsMismatch("iss is not the issuer id")) }
        if payload["jti"] != .string(id) { report.failures.append(.claimsMismatch("jti is not the credential id")) }
        if let subjectID = subject["id"], payload["sub"] != subjectID { report.failures.append(.claimsMismatch("sub is not the subject id")) }
        if payload["nbf"] != .int(Int(validFrom.seconds)) { report.failures.append(.claimsMismatch("nbf is not validFrom")) }
        if now < validFrom { report.failures.append(.notYetValid(validFromText)) }
        if case .string(let untilText)? = payload["validUntil"], case .success(let until) = Timestamp.parse(untilText) {
            if payload["exp"] != .int(Int(until.seconds)) { report.failures.append(.claimsMismatch("exp is not validUntil")) }
            if now >= until { report.failures.append(.expired(untilText)) }
        }
        if let reason = revoked[id] { report.failures.append(.revoked(reason)) }
        if let recipientEmail {
            var matched = false
            if case .array(let identifiers)? = subject["identifier"] {
                for identifier in identifiers {
                    guard case .object(let object) = identifier, object["identityType"] == .string("emailAddress"),
                        case .string(let hash)? = object["identityHash"]
                    else { continue }
                    let salt: String = if case .string(let value)? = object["salt"] { value } else { "" }
                    if Recipient.identityHash(Recipient.normalize(email: recipientEmail), salt: salt) == hash.lowercased() { matched = true }
                }
            }
            if !matched { report.failures.append(.recipientMismatch) }
        }
    }

    private func checkOB2(_ assertion: [String: JSONValue], recipientEmail: String?, now: Timestamp, into report: inout VerificationReport) {
        guard case .string(let id)? = assertion["id"], assertion["type"] == .string("Assertion"),
            case .object(let recipient)? = assertion["recipient"], case .string? = assertion["badge"],
            case .string(let issuedText)? = assertion["issuedOn"], case .success(let issuedOn) = Timestamp.parse(issuedText)
        else {
            report.failures.append(.malformed("not an OB 2.0 Assertion (id, type, recipient, badge or issuedOn)"))
            return
        }
        report.id = id
        if now < issuedOn { report.failures.append(.notYetValid(issuedText)) }
        if case .string(let expiresText)? = assertion["expires"], case .success(let expires) = Timestamp.parse(expiresText), now >= expires {
            report.failures.append(.expired(expiresText))
        }
        if case .bool(true)? = assertion["revoked"] {
            let reason: String = if case .string(let text)? = assertion["revocationReason"] { text } else { "no reason given" }
            report.failures.append(.revoked(reason))
        } else if let reason = revoked[id] {
            report.failures.append(.revoked(reason))
        }
        if let recipientEmail {
            let salt: String = if case .string(let value)? = recipient["salt"] { value } else { "" }
            let expected = Recipient.identityHash(Recipient.normalize(email: recipientEmail), salt: salt)
            if recipient["type"] != .string("email") || recipient["identity"].map({ $0 != .string(expected) }) ?? true {
                report.failures.append(.recipientMismatch)
            }
        }
    }

    // MARK: Hosted

    private func verifyHosted(_ text: String, recipientEmail: String?, now: Timestamp) -> VerificationReport {
        var report = VerificationReport(kind: "OB 2.0 hosted", failures: [])
        guard case .object(let assertion)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
            case .string(let id)? = assertion["id"]
        else {
            report.failures.append(.malformed("not a JSON object with an id"))
            return report
        }
        report.id = id
        // A hosted assertion is only as good as the copy at its URL: compare with the published copy.
        if let directory = publishedDirectory {
            let suffix = id.split(separator: "/").suffix(3).joined(separator: "/")
            guard let published = FileManager.default.contents(atPath: directory + "/" + suffix),
                case .object(let hosted)? = try? JSONDecoder().decode(JSONValue.self, from: published)
            else {
                report.failures.append(.unknownKey("the assertion is not published at \(id)"))
                return report
            }
            if case .bool(true)? = hosted["revoked"] {
                let reason: String = if case .string(let value)? = hosted["revocationReason"] { value } else { "no reason given" }
                report.failures.append(.revoked(reason))
                return report
            }
            if hosted != assertion {
                report.failures.append(.badSignature)
                return report
            }
        } else {
            report.failures.append(.unknownKey("a hosted assertion can only be checked against the published folder (--published)"))
            return report
        }
        checkOB2(assertion, recipientEmail: recipientEmail, now: now, into: &report)
        return report
    }
}

/// One jwt-kit key collection per key id, created once.
private actor SignerCache {
    private var collections: [String: JWTKeyCollection] = [:]

    func collection(for kid: String, jwk value: JSONValue) async throws -> JWTKeyCollection {
        if let collection = collections[kid] { return collection }
        let collection = JWTKeyCollection()
        let jwk = try JSONDecoder().decode(JWK.self, from: try value.encoded(pretty: false))
        try await collection.add(jwk: jwk)
        collections[kid] = collection
        return collection
    }
}
