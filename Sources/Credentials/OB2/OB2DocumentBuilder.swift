import Basics
import Definitions

/// Builds OB 2.0 documents: Assertion, BadgeClass, Issuer, CryptographicKey and RevocationList.
struct OB2DocumentBuilder: Sendable {
    static let context: JSONValue = "https://w3id.org/openbadges/v2"

    let layout: PublishLayout
    let issuer: Issuer
    let language: Language

    /// The issuer Profile; `publicKey` names the one current RSA key (the reference validator accepts only one).
    func issuerProfile(currentKey: String?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "@context": Self.context,
            "type": "Issuer",
            "id": .string(layout.ob2Issuer),
            "name": .string(issuer.name.text(in: language)),
            "url": .string(issuer.url),
            "email": .string(issuer.email),
            "revocationList": .string(layout.ob2RevocationList),
        ]
        if let description = issuer.description { fields["description"] = .string(description.text(in: language)) }
        if let currentKey { fields["publicKey"] = .string(layout.cryptographicKey(currentKey)) }
        return .object(fields)
    }

    func badgeClass(_ facts: BadgeFacts, imageExtension: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "@context": Self.context,
            "type": "BadgeClass",
            "id": .string(layout.badgeClass(facts.badge.id)),
            "name": .string(facts.name),
            "description": .string(facts.description),
            "image": .string(layout.image(facts.badge.id, fileExtension: imageExtension)),
            "criteria": .object(["narrative": .string(facts.criteriaNarrative)]),
            "issuer": .string(layout.ob2Issuer),
        ]
        if !facts.tags.isEmpty { fields["tags"] = .array(facts.tags.map { .string($0) }) }
        if !facts.competences.isEmpty {
            fields["alignment"] = .array(
                facts.competences.map {
                    .object([
                        "targetName": .string("\($0.code) \($0.title)"),
                        "targetUrl": .string("\(facts.frameworkURL)#\($0.code)"),
                        "targetFramework": .string(facts.frameworkName),
                        "targetCode": .string($0.code),
                    ])
                })
        }
        return .object(fields)
    }

    func cryptographicKey(kid: String, publicPEM: String) -> JSONValue {
        .object([
            "@context": Self.context,
            "type": "CryptographicKey",
            "id": .string(layout.cryptographicKey(kid)),
            "owner": .string(layout.ob2Issuer),
            "publicKeyPem": .string(publicPEM),
        ])
    }

    /// The RevocationList of signed assertions.
    ///
    /// The reference validator compacts the list as JSON-LD, which turns a one-element array into a bare
    /// object, and then finds no match. A list with exactly one entry therefore gets a second entry naming
    /// a nil UUID that no credential ever has, so the list stays an array for such verifiers.
    func revocationList(_ revoked: [String]) -> JSONValue {
        var entries = revoked
        if entries.count == 1 { entries.append(Self.placeholderRevocation) }
        return .object([
            "@context": Self.context,
            "type": "RevocationList",
            "id": .string(layout.ob2RevocationList),
            "issuer": .string(layout.ob2Issuer),
            "revokedAssertions": .array(entries.map { .object(["id": .string($0)]) }),
        ])
    }

    static let placeholderRevocation = "urn:uuid:00000000-0000-0000-0000-000000000000"

    /// An assertion; `signedBy` names the key for a signed badge, nil for a hosted one (whose id is its URL).
    func assertion(
        id: String, recipient: JSONValue, facts: BadgeFacts, issuedOn: Timestamp, expires: Timestamp?, signedBy kid: String?
    ) -> JSONValue {
        var fields: [String: JSONValue] = [
            "@context": Self.context,
            "type": "Assertion",
            "id": .string(id),
            "recipient": recipient,
            "badge": .string(layout.badgeClass(facts.badge.id)),
            "issuedOn": .string(issuedOn.utcDescription),
            "verification":
                kid.map { .object(["type": "SignedBadge", "creator": .string(layout.cryptographicKey($0))]) }
                ?? .object(["type": "HostedBadge"]),
            "evidence": [.object(["name": .string(facts.evidenceName), "narrative": .string(facts.evidenceNarrative)])],
        ]
        if let expires { fields["expires"] = .string(expires.utcDescription) }
        return .object(fields)
    }
}
