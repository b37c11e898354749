public import Basics
public import Foundation
import Crypto

/// Checks a credential offline against published documents: signature, structure, dates, revocation and,
/// optionally, the recipient. Every failure is named (see ``VerificationFailure``).
public struct CredentialVerifier: Sendable {
    /// Public keys by kid (the `kid` of each JWK), with the `alg` the JWK names.
    let keys: [String: (key: VerificationKey, alg: String?)]
    /// Keys in the JWKS that cannot be used, by kid, with the reason (say, another curve).
    let unusable: [String: String]
    /// Revoked credential ids with reasons (OB 3.0 and OB 2.0 lists).
    let revoked: [String: String]
    /// Published documents by path relative to the base URL, for hosted assertions; nil: none known.
    let document: (@Sendable (String) -> [UInt8]?)?
    /// Status lists read and checked (signature, purpose, length), by URL and purpose: a verifier reads
    /// each list once. Make a new verifier to see later changes to the lists.
    private let checkedLists: CheckedLists

    /// Trusts the keys and revocation lists in a folder written by `merkisto publish`.
    public init(publishedDirectory directory: String) throws {
        try self.init(documents: { path in FileManager.default.contents(atPath: directory + "/" + path).map(Array.init) })
    }

    /// Trusts the keys and revocation lists of a published site whose documents `document` gives by their
    /// path under the base URL (nil: not published), such as a running server's; hosted assertions are
    /// compared with what `document` gives at their path.
    public init(documents document: @escaping @Sendable (String) -> [UInt8]?) throws {
        let layout = PublishLayout(baseURL: "", issuerID: "")
        var keys: (usable: [String: (key: VerificationKey, alg: String?)], unusable: [String: String]) = ([:], [:])
        if let data = document(layout.jwksPath) {
            keys = try Self.keys(fromJWKS: try Self.decode(Data(data), what: "the published JWKS"))
        }
        var revoked: [String: String] = [:]
        for path in [layout.revocationListPath, layout.ob2RevocationListPath] {
            guard let data = document(path) else { continue }
            guard case .object(let list) = try Self.decode(Data(data), what: path) else { continue }
            for key in ["revokedCredential", "revokedAssertions"] {
                guard case .array(let entries)? = list[key] else { continue }
                for entry in entries {
                    if case .object(let fields) = entry, case .string(let id)? = fields["id"] {
                        if case .bool(false)? = fields["revoked"] { continue }
                        if case .string(let reason)? = fields["revocationReason"] { revoked[id] = reason } else { revoked[id] = Self.revokedByList }
                    } else if case .string(let id) = entry {
                        revoked[id] = Self.revokedByList
                    }
                }
            }
        }
        self.keys = keys.usable
        self.unusable = keys.unusable
        self.revoked = revoked
        self.document = document
        checkedLists = CheckedLists()
    }

    /// The same verifier (keys, revocations, the status lists it has read) where `documents` answers first,
    /// for documents that must be looked up asynchronously before a verification (a hosted assertion).
    public func overlaying(_ documents: @escaping @Sendable (String) -> [UInt8]?) -> CredentialVerifier {
        let below = document
        return CredentialVerifier(keys: keys, unusable: unusable, revoked: revoked, checkedLists: checkedLists) { path in
            documents(path) ?? below?(path)
        }
    }

    private init(
        keys: [String: (key: VerificationKey, alg: String?)], unusable: [String: String], revoked: [String: String], checkedLists: CheckedLists,
        document: @escaping @Sendable (String) -> [UInt8]?
    ) {
        self.keys = keys
        self.unusable = unusable
        self.revoked = revoked
        self.checkedLists = checkedLists
        self.document = document
    }

    /// Trusts the keys of a JWKS file; nothing is known about revocations.
    public init(jwksData data: Data) throws {
        (keys, unusable) = try Self.keys(fromJWKS: try Self.decode(data, what: "the JWKS"))
        revoked = [:]
        document = nil
        checkedLists = CheckedLists()
    }

    private static func keys(
        fromJWKS jwks: JSONValue
    ) throws -> (usable: [String: (key: VerificationKey, alg: String?)], unusable: [String: String]) {
        guard case .object(let fields) = jwks, case .array(let list)? = fields["keys"] else {
            throw CredentialError.invalidInput("the JWKS has no \"keys\" array")
        }
        var usable: [String: (key: VerificationKey, alg: String?)] = [:]
        var unusable: [String: String] = [:]
        for key in list {
            guard case .object(let jwk) = key, case .string(let kid)? = jwk["kid"] else { continue }
            do {
                let alg: String? = if case .string(let value)? = jwk["alg"] { value } else { nil }
                usable[kid] = (try VerificationKey(jwk: jwk), alg)
            } catch let error as CredentialError {
                // Another issuer's JWKS may hold keys of kinds Merkisto does not use; only their own
                // credentials are affected.
                unusable[kid] = error.message
            }
        }
        return (usable, unusable)
    }

    private static func decode(_ data: Data, what: String) throws -> JSONValue {
        do { return try JSONBytes.parse(Array(data)) } catch {
            throw CredentialError.invalidInput("\(what) is not valid JSON")
        }
    }

    /// Said of a credential the issuer's revocation list names without a reason (Merkisto's lists never
    /// give one: a reason is staff's free text and stays with them).
    static let revokedByList = "the issuer's revocation list names it"

    /// What the checks read from a payload; the rest is only checked to be well-formed. The OB 3.0
    /// recipient identifiers are read only when a recipient is to be checked.
    static func claims(withRecipient: Bool) -> JSONSelection { withRecipient ? claimsWithRecipient : claimsWithoutRecipient }

    private static func claimSelection(subject: [String: JSONSelection]) -> JSONSelection {
        .keys([
            "@context": .all, "type": .all, "id": .all, "iss": .all, "jti": .all, "sub": .all, "nbf": .all, "exp": .all,
            "validFrom": .all, "validUntil": .all, "issuer": .keys(["id": .all]), "credentialSubject": .keys(subject), "credentialStatus": .all,
            "recipient": .all, "badge": .all, "issuedOn": .all, "expires": .all, "revoked": .all, "revocationReason": .all,
            "verification": .all,
        ])
    }

    private static let claimsWithRecipient = claimSelection(subject: [
        "id": .all, "identifier": .all, "achievement": .keys(["name": .all]),
    ])
    private static let claimsWithoutRecipient = claimSelection(subject: ["id": .all, "achievement": .keys(["name": .all])])

    /// The most bytes of input ``verify(input:recipientEmail:now:)`` takes (a credential, or an image with
    /// one baked in).
    public static let maximumInputBytes = 8 << 20

    /// The report on input larger than ``maximumInputBytes`` (which need not be read to say so).
    public static let tooLarge = VerificationReport(kind: "input", failures: [.malformed("larger than \(maximumInputBytes >> 20) MB")])

    /// Verifies what a person gives: a compact JWS, a JSON document, or a PNG or SVG image with a credential
    /// baked in (which is taken out first). Input over ``maximumInputBytes`` is refused unread.
    public func verify(input: [UInt8], recipientEmail: String? = nil, now: Timestamp) -> VerificationReport {
        guard input.count <= Self.maximumInputBytes else { return Self.tooLarge }
        // A PNG, or an SVG (XML): the credential baked into it.
        guard input.starts(with: [0x89, 0x50, 0x4E, 0x47]) || input.first(where: { $0 > 0x20 }) == UInt8(ascii: "<") else {
            return verify(input, recipientEmail: recipientEmail, now: now)
        }
        let baked: String?
        do {
            baked = try Baker.unbake(Data(input))
        } catch {
            return VerificationReport(kind: "image", failures: [.malformed((error as? CredentialError)?.message ?? "the image cannot be read")])
        }
        guard let baked else { return VerificationReport(kind: "image", failures: [.malformed("the image holds no credential")]) }
        return verify(Array(baked.utf8), recipientEmail: recipientEmail, now: now)
    }

    /// Verifies a credential given as text: a compact JWS (OB 3.0 VC-JWT or OB 2.0 signed) or JSON (OB 2.0 hosted).
    public func verify(_ text: String, recipientEmail: String? = nil, now: Timestamp) -> VerificationReport {
        verify(Array(text.utf8), recipientEmail: recipientEmail, now: now)
    }

    /// Verifies a credential given as bytes (UTF-8 text).
    public func verify(_ bytes: [UInt8], recipientEmail: String? = nil, now: Timestamp) -> VerificationReport {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        let trimmed = start == 0 && end == bytes.count ? bytes : Array(bytes[start..<end])
        if trimmed.first == UInt8(ascii: "{") {
            let document: [String: JSONValue]
            let onlyPlainTerms: Bool
            do {
                let parsed = try JSONBytes.parseNotingKeys(trimmed)
                guard case .object(let fields) = parsed.value else {
                    return VerificationReport(kind: "JSON", failures: [.malformed("not a JSON object")])
                }
                document = fields
                onlyPlainTerms = parsed.onlyPlainTerms
            } catch {
                return VerificationReport(kind: "JSON", failures: [.malformed("not JSON: \(error)")])
            }
            if document["proof"] != nil { return verifyDataIntegrity(document, recipientEmail: recipientEmail, now: now) }
            return verifyHosted(document, onlyPlainTerms: onlyPlainTerms, recipientEmail: recipientEmail, now: now)
        }
        return verifyJWS(trimmed, recipientEmail: recipientEmail, now: now)
    }

    // MARK: JWS

    private func verifyJWS(_ token: [UInt8], recipientEmail: String?, now: Timestamp) -> VerificationReport {
        var report = VerificationReport(kind: "JWS", failures: [])
        // A compact JWS has exactly two dots; a dot anywhere else fails the base64url check below.
        guard let first = token.firstIndex(of: UInt8(ascii: ".")), let last = token.lastIndex(of: UInt8(ascii: ".")), first != last else {
            report.failures.append(.malformed("not a compact JWS (header.payload.signature) nor a JSON document"))
            return report
        }
        // Every part must be canonical unpadded base64url, so that no two spellings verify.
        let ranges = [0..<first, first + 1..<last, last + 1..<token.count]
        var decoded: [[UInt8]] = []
        var header: [String: JSONValue]?
        var digest: SHA256.Digest?
        for (index, range) in ranges.enumerated() {
            guard let bytes = token.withUnsafeBufferPointer({ Base64URL.decode(UnsafeBufferPointer(rebasing: $0[range])) }), !bytes.isEmpty else {
                report.failures.append(.malformed("part \(index + 1) of the JWS is not canonical base64url"))
                return report
            }
            decoded.append(bytes)
            // The header read first: when its alg signs a SHA-256 digest, the signing input is hashed before the
            // payload is read. Hashing brings the token's bytes into the cache while it computes, where reading
            // the payload would wait for them (1 % of verifying a 13 kB token, measured with `merkisto bench`).
            if index == 0, case .object(let fields)? = try? JSONBytes.parse(bytes) {
                header = fields
                if case .string(let alg)? = fields["alg"], alg == "ES256" || alg == "RS256" { digest = SHA256.hash(data: token[0..<last]) }
            }
        }
        guard let header, case .string(let alg)? = header["alg"],
            let (payloadValue, onlyPlainTerms) = try? JSONBytes.parseNotingKeys(decoded[1], keeping: Self.claims(withRecipient: recipientEmail != nil)),
            case .object(let payload) = payloadValue
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
        guard let keyURL, let kid = PublishLayout.kid(fromKeyURL: keyURL) ?? (keys[keyURL] != nil || unusable[keyURL] != nil ? keyURL : nil) else {
            report.failures.append(.unknownKey("the credential does not say which key signed it"))
            return report
        }
        report.keyID = kid
        guard let (key, keyAlg) = keys[kid] else {
            if let reason = unusable[kid] {
                report.failures.append(.unknownKey("key \(kid) cannot be used: \(reason)"))
            } else {
                report.failures.append(.unknownKey("key \(kid) is not among the published keys"))
            }
            return report
        }
        // The header's alg must be the key's own; a key is never used with another algorithm.
        guard alg == key.algorithm.rawValue, keyAlg.map({ $0 == alg }) ?? true,
            key.isValidSignature(decoded[2], for: token[0..<last], digest: digest)
        else {
            report.failures.append(.badSignature)
            return report
        }
        if isOB2 {
            checkOB2(payload, onlyPlainTerms: onlyPlainTerms, recipientEmail: recipientEmail, now: now, into: &report)
            return report
        }
        // The claims from the JSON when it is in the shape Merkisto issues; otherwise from its statements.
        let claims: OB3Claims
        if let plain = OB3Claims(plain: payload, onlyPlainTerms: onlyPlainTerms) {
            claims = plain
        } else {
            do {
                // The registered JWT claims are not JSON-LD terms (they are checked against the claims below), and
                // `credentialSchema` names a JSON Schema by a type the bundled contexts do not define; the checks
                // read neither.
                guard case .object(var credential) = try JSONBytes.parse(decoded[1]) else { throw OB3Claims.Unreadable(reason: "not a JSON object") }
                for claim in ["iss", "jti", "sub", "nbf", "exp", "iat", "credentialSchema"] { credential[claim] = nil }
                claims = try OB3Claims(anyShape: .object(credential))
            } catch let error as OB3Claims.Unreadable {
                report.failures.append(.malformed("not an OB 3.0 credential that can be read: \(error.reason)"))
                return report
            } catch {
                report.failures.append(.malformed("the JWS payload is not a JSON object"))
                return report
            }
        }
        checkOB3(claims, jwtPayload: payload, recipientEmail: recipientEmail, now: now, into: &report)
        return report
    }

    /// The OB 3.0 checks on what the proof covers; `jwtPayload`: the VC-JWT claims (iss, jti, sub, nbf, exp)
    /// must repeat the credential's.
    private func checkOB3(
        _ claims: OB3Claims, jwtPayload payload: [String: JSONValue]?, recipientEmail: String?, now: Timestamp, into report: inout VerificationReport
    ) {
        report.id = claims.id
        report.issuer = claims.issuer
        report.badgeName = claims.achievementName
        if let payload {
            if payload["iss"] != .string(claims.issuer) { report.failures.append(.claimsMismatch("iss is not the issuer id")) }
            if payload["jti"] != .string(claims.id) { report.failures.append(.claimsMismatch("jti is not the credential id")) }
            if payload["sub"] != claims.subjectID.map(JSONValue.string) { report.failures.append(.claimsMismatch("sub is not the subject id")) }
            if payload["nbf"] != .int(Int(claims.validFrom.time.seconds)) { report.failures.append(.claimsMismatch("nbf is not validFrom")) }
            if payload["exp"] != claims.validUntil.map({ JSONValue.int(Int($0.time.seconds)) }) {
                report.failures.append(.claimsMismatch("exp is not validUntil"))
            }
        }
        if now < claims.validFrom.time { report.failures.append(.notYetValid(claims.validFrom.text)) }
        if let until = claims.validUntil, now >= until.time { report.failures.append(.expired(until.text)) }
        if let reason = revoked[claims.id] {
            report.failures.append(.revoked(reason))
        } else {
            for entry in claims.status { report.failures += statusFailures(entry) }
        }
        if let recipientEmail {
            let normalized = Recipient.normalize(email: recipientEmail)
            let matched = claims.emailIdentities.contains { Recipient.identityHash(normalized, salt: $0.salt) == $0.hash.lowercased() }
            if !matched { report.failures.append(.recipientMismatch) }
        }
    }

    /// The OB 2.0 checks. They read the assertion's JSON only in the shape Merkisto issues (`onlyPlainTerms`,
    /// one value of the expected kind per field); any other shape could state the same in a way the checks
    /// would not see, so it is refused (fail closed).
    private func checkOB2(
        _ assertion: [String: JSONValue], onlyPlainTerms: Bool, recipientEmail: String?, now: Timestamp, into report: inout VerificationReport
    ) {
        guard onlyPlainTerms else {
            report.failures.append(.malformed("the assertion is not written in the plain form of OB 2.0 (JSON-LD keywords or IRIs as keys), so it cannot be read safely"))
            return
        }
        guard case .string(let id)? = assertion["id"], assertion["type"] == .string("Assertion"),
            case .object(let recipient)? = assertion["recipient"], case .string? = assertion["badge"],
            case .string(let issuedText)? = assertion["issuedOn"], case .success(let issuedOn) = Timestamp.parse(issuedText)
        else {
            report.failures.append(.malformed("not an OB 2.0 Assertion (id, type, recipient, badge or issuedOn)"))
            return
        }
        report.id = id
        var expires: (text: String, time: Timestamp)?
        switch assertion["expires"] {
        case nil: expires = nil
        case .string(let text)?:
            guard case .success(let time) = Timestamp.parse(text) else { fallthrough }
            expires = (text, time)
        default:
            report.failures.append(.malformed("the assertion's expires is not one date and time"))
            return
        }
        switch assertion["revoked"] {
        case nil, .bool?: break
        default:
            report.failures.append(.malformed("the assertion's revoked is not true or false"))
            return
        }
        if now < issuedOn { report.failures.append(.notYetValid(issuedText)) }
        if let expires, now >= expires.time { report.failures.append(.expired(expires.text)) }
        if case .bool(true)? = assertion["revoked"] {
            let reason: String = if case .string(let text)? = assertion["revocationReason"] { text } else { "the assertion says it is revoked" }
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

    // MARK: Status lists

    /// What the issuer's status lists say of a `BitstringStatusListEntry`: its revocation bit, and the bit
    /// at the same place of the suspension list of the same number. A list must be published, signed by
    /// the issuer (an `eddsa-rdfc-2022` proof by one of the published keys) and say what it is for.
    /// An entry for suspension is checked against its own list; one for revocation against its list and the
    /// suspension list of the same number. An entry of another purpose cannot be checked (fail closed).
    private func statusFailures(_ entry: OB3Claims.StatusEntry) -> [VerificationFailure] {
        guard let given = StatusPurpose(rawValue: entry.purpose) else {
            return [.statusUnknown("the credential's status entry has a purpose that cannot be checked (\(entry.purpose))")]
        }
        var failures: [VerificationFailure] = []
        for purpose in given == .revocation ? StatusPurpose.allCases : [given] {
            let listURL =
                purpose == given ? entry.listURL : entry.listURL.replacingOccurrences(of: "/status/revocation/", with: "/status/suspension/")
            switch statusList(listURL, purpose: purpose) {
            case .failure(let failure):
                failures.append(failure)
            case .success(let bits) where entry.index >= bits.length:
                failures.append(.statusUnknown("the credential's place \(entry.index) is not in the status list \(listURL)"))
            case .success(let bits) where bits.isSet(entry.index):
                failures.append(purpose == .revocation ? .revoked("the issuer's status list marks it revoked") : .suspended)
            case .success:
                break
            }
        }
        return failures
    }

    /// A status list credential read from the published documents (its last three path segments), checked.
    private func statusList(_ url: String, purpose: StatusPurpose) -> Result<BitstringStatusList, VerificationFailure> {
        checkedLists.result(url + " " + purpose.rawValue) { readStatusList(url, purpose: purpose) }
    }

    private func readStatusList(_ url: String, purpose: StatusPurpose) -> Result<BitstringStatusList, VerificationFailure> {
        let path = url.split(separator: "/").suffix(3).joined(separator: "/")
        guard let document, let bytes = document(path) else { return .failure(.statusUnknown("the status list \(url) is not published")) }
        // The list is the issuer's when a published key signed it (its `issuer` is the did:web of those
        // keys; a VC-JWT's issuer is the profile URL of the same issuer).
        guard case .object(let list)? = try? JSONBytes.parse(bytes),
            case .object(let subject)? = list["credentialSubject"], subject["statusPurpose"] == .string(purpose.rawValue),
            case .string(let encoded)? = subject["encodedList"]
        else { return .failure(.statusUnknown("\(url) is not the issuer's \(purpose.rawValue) list")) }
        do {
            let proof = try DataIntegrity.proof(of: list)
            guard let kid = proof.verificationMethod.split(separator: "#").last.map(String.init), let (key, _) = keys[kid],
                case .edDSA(let publicKey) = key.backing, try DataIntegrity.isValid(proof, of: list, key: publicKey)
            else { return .failure(.statusUnknown("the signature of the status list \(url) does not verify")) }
        } catch {
            return .failure(.statusUnknown("the status list \(url) cannot be checked: \(error)"))
        }
        let bits: BitstringStatusList
        do { bits = try BitstringStatusList.decode(encoded) } catch {
            return .failure(.statusUnknown("the status list \(url) cannot be read: \(error)"))
        }
        guard bits.length >= BitstringStatusList.minimumLength else {
            return .failure(.statusUnknown("the status list \(url) is shorter than \(BitstringStatusList.minimumLength) entries"))
        }
        return .success(bits)
    }

    // MARK: Data Integrity

    /// An OB 3.0 credential with an embedded `eddsa-rdfc-2022` proof: the proof's verification method must
    /// be the issuer's own (`<issuer DID>#<kid>`) and name a published Ed25519 key.
    private func verifyDataIntegrity(_ document: [String: JSONValue], recipientEmail: String?, now: Timestamp) -> VerificationReport {
        var report = VerificationReport(kind: "OB 3.0 Data Integrity", failures: [])
        report.algorithm = DataIntegrity.cryptosuite
        if case .string(let id)? = document["id"] { report.id = id }
        let proof: DataIntegrity.Proof
        do { proof = try DataIntegrity.proof(of: document) } catch {
            report.failures.append(.malformed(error.message))
            return report
        }
        let method = proof.verificationMethod.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        guard method.count == 2, !method[1].isEmpty else {
            report.failures.append(.unknownKey("the proof's verification method \(proof.verificationMethod) names no key"))
            return report
        }
        let kid = String(method[1])
        report.keyID = kid
        guard let (key, _) = keys[kid] else {
            report.failures.append(.unknownKey(unusable[kid].map { "key \(kid) cannot be used: \($0)" } ?? "key \(kid) is not among the published keys"))
            return report
        }
        guard case .edDSA(let publicKey) = key.backing else {
            report.failures.append(.badSignature)
            return report
        }
        let claims: OB3Claims
        do {
            guard let statements = try DataIntegrity.signedStatements(proof, of: document, key: publicKey) else {
                report.failures.append(.badSignature)
                return report
            }
            claims = try OB3Claims(statements: statements)
        } catch let error as DataIntegrity.ProofError {
            report.failures.append(.malformed(error.message))
            return report
        } catch {
            report.failures.append(.malformed("not an OB 3.0 credential that can be read: \((error as? OB3Claims.Unreadable)?.reason ?? "\(error)")"))
            return report
        }
        guard claims.issuer == String(method[0]) else {
            report.failures.append(.claimsMismatch("the proof's verification method does not belong to the credential's issuer"))
            return report
        }
        checkOB3(claims, jwtPayload: nil, recipientEmail: recipientEmail, now: now, into: &report)
        return report
    }

    // MARK: Hosted

    private func verifyHosted(_ assertion: [String: JSONValue], onlyPlainTerms: Bool, recipientEmail: String?, now: Timestamp) -> VerificationReport {
        var report = VerificationReport(kind: "OB 2.0 hosted", failures: [])
        guard case .string(let id)? = assertion["id"] else {
            report.failures.append(.malformed("not a JSON object with an id"))
            return report
        }
        report.id = id
        // A hosted assertion is only as good as the copy at its URL: compare with the published copy.
        if let document {
            let suffix = id.split(separator: "/").suffix(3).joined(separator: "/")
            guard let published = document(suffix), case .object(let hosted)? = try? JSONBytes.parse(published)
            else {
                report.failures.append(.unknownKey("the assertion is not published at \(id)"))
                return report
            }
            if case .bool(true)? = hosted["revoked"] {
                let reason: String = if case .string(let value)? = hosted["revocationReason"] { value } else { "the issuer's copy says it is revoked" }
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
        checkOB2(assertion, onlyPlainTerms: onlyPlainTerms, recipientEmail: recipientEmail, now: now, into: &report)
        return report
    }
}

/// Status lists a verifier has read, with what reading each gave.
private final class CheckedLists: @unchecked Sendable {
    // Every access goes through `lock`; a list is read outside it (two threads may both read one).
    private let lock = NSLock()
    private var results: [String: Result<BitstringStatusList, VerificationFailure>] = [:]

    func result(_ key: String, read: () -> Result<BitstringStatusList, VerificationFailure>) -> Result<BitstringStatusList, VerificationFailure> {
        if let known = lock.withLock({ results[key] }) { return known }
        let result = read()
        lock.withLock { results[key] = result }
        return result
    }
}
