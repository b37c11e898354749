import Basics
import Definitions

/// Builds OB 3.0 documents (VCDM 2.0): the OpenBadgeCredential, the issuer Profile and the Achievement.
///
/// Shapes follow the 1EdTech achievement credential schema: `type` arrays on most classes, plain-string
/// `type` on IdentityObject and Image, no nulls and no empty arrays.
struct OpenBadgeCredentialBuilder: Sendable {
    static let contexts: JSONValue = [
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    static let schemaURL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

    /// How a credential is secured: the field a VC-JWT carries that JSON-LD does not define
    /// (`credentialSchema` of type 1EdTechJsonSchemaValidator2019) is left out of a credential with a Data
    /// Integrity proof, whose every statement must be signed.
    enum Securing: Sendable {
        case jwt
        case dataIntegrity
    }

    let layout: PublishLayout
    let issuer: Issuer
    let language: Language
    /// The issuer's id: the profile's URL (VC-JWT, published profile), or its did:web (Data Integrity).
    var profileID: String

    init(layout: PublishLayout, issuer: Issuer, language: Language, securing: Securing = .jwt) {
        self.layout = layout
        self.issuer = issuer
        self.language = language
        profileID = securing == .jwt ? layout.issuerProfile : layout.did
    }

    /// The issuer Profile, embedded in every credential and published at ``PublishLayout/issuerProfile``.
    func profile() -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(profileID),
            "type": ["Profile"],
            "name": .string(issuer.name.text(in: language)),
            "url": .string(issuer.url),
            "email": .string(issuer.email),
        ]
        if let description = issuer.description { fields["description"] = .string(description.text(in: language)) }
        return .object(fields)
    }

    func achievement(_ facts: BadgeFacts, imageExtension: String) -> JSONValue {
        let id = layout.achievement(facts.badge.id)
        var fields: [String: JSONValue] = [
            "id": .string(id),
            "type": ["Achievement"],
            "achievementType": "Badge",
            "name": .string(facts.name),
            "description": .string(facts.description),
            "criteria": .object(["narrative": .string(facts.criteriaNarrative)]),
            "image": .object(["id": .string(layout.image(facts.badge.id, fileExtension: imageExtension)), "type": "Image"]),
            "inLanguage": .string(facts.language.rawValue),
            "version": .string(facts.badge.version),
            "creator": profile(),
        ]
        if !facts.tags.isEmpty { fields["tag"] = .array(facts.tags.map { .string($0) }) }
        if !facts.competences.isEmpty {
            fields["alignment"] = .array(facts.competences.map { alignment($0, facts: facts) })
            fields["resultDescription"] = .array(facts.competences.map { resultDescription($0, facts: facts, achievement: id) })
        }
        return .object(fields)
    }

    func alignment(_ competence: BadgeFacts.CompetenceFact, facts: BadgeFacts) -> JSONValue {
        alignment(code: competence.code, title: competence.title, frameworkName: facts.frameworkName, frameworkURL: facts.frameworkURL)
    }

    /// The alignment to one DigComp competence.
    func alignment(code: String, title: String, frameworkName: String, frameworkURL: String) -> JSONValue {
        .object([
            "type": ["Alignment"],
            "targetName": .string("\(code) \(title)"),
            "targetUrl": .string("\(frameworkURL)#\(code)"),
            "targetFramework": .string(frameworkName),
            "targetCode": .string(code),
            "targetType": "ext:DigCompCompetence",
        ])
    }

    func levelID(_ achievement: String, _ code: String, _ level: Int) -> String {
        "\(achievement)#competence-\(code)-level-\(level)"
    }

    /// The rubric of one competence. It names the competence but has no `alignment` of its own: the
    /// achievement's alignment to the same competence says it once, and two identical alignment objects
    /// would be blank nodes RDF canonicalization cannot tell apart but at great cost.
    private func resultDescription(_ competence: BadgeFacts.CompetenceFact, facts: BadgeFacts, achievement: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string("\(achievement)#competence-\(competence.code)"),
            "type": ["ResultDescription"],
            "name": .string(Localizer.shared.text("credential.result.name", language, ["competence": "\(competence.code) \(competence.title)"])),
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": .array(
                facts.framework.levels.sorted { $0.value < $1.value }.map { level in
                    // Level names only: the framework's level descriptions would make a credential for a
                    // collection badge several times larger without telling a verifier more.
                    .object([
                        "id": .string(levelID(achievement, competence.code, level.value)),
                        "type": ["RubricCriterionLevel"],
                        "name": .string(level.label.text(in: language)),
                        "level": .string(String(level.value)),
                    ])
                }),
        ]
        if let required = competence.required {
            fields["requiredLevel"] = .string(levelID(achievement, competence.code, required))
        }
        return .object(fields)
    }

    /// The credential without a proof. The values that change per credential are passed as text, so that
    /// ``PayloadTemplate`` markers can stand in for them; `achievedLevels` follows `facts.competences`.
    func credential(
        id: String, subjectID: String, identifier: JSONValue?, facts: BadgeFacts, validFrom: String, validUntil: String?,
        achievedLevels: [String], evidenceNarrative: String, imageExtension: String, securing: Securing = .jwt
    ) -> JSONValue {
        let achievementID = layout.achievement(facts.badge.id)
        var subject: [String: JSONValue] = [
            "id": .string(subjectID),
            "type": ["AchievementSubject"],
            "achievement": achievement(facts, imageExtension: imageExtension),
        ]
        if let identifier { subject["identifier"] = [identifier] }
        if !facts.competences.isEmpty {
            subject["result"] = .array(
                zip(facts.competences, achievedLevels).map { competence, level in
                    .object([
                        "type": ["Result"],
                        "resultDescription": .string("\(achievementID)#competence-\(competence.code)"),
                        "achievedLevel": .string(level),
                    ])
                })
        }
        var fields: [String: JSONValue] = [
            "@context": Self.contexts,
            "id": .string(id),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": .string(facts.name),
            "issuer": profile(),
            "validFrom": .string(validFrom),
            "credentialSubject": .object(subject),
            "evidence": [.object(["type": ["Evidence"], "name": .string(facts.evidenceName), "narrative": .string(evidenceNarrative)])],
        ]
        if securing == .jwt {
            fields["credentialSchema"] = [.object(["id": .string(Self.schemaURL), "type": "1EdTechJsonSchemaValidator2019"])]
        }
        if let validUntil { fields["validUntil"] = .string(validUntil) }
        return .object(fields)
    }
}
