public import Basics
import Definitions
public import Evaluation
import Foundation

/// A hand-over package: one CLR 2.0 `ClrCredential` that carries a client's valid OB 3.0 credentials as
/// they were issued (each with its own proof), the achievements with their associations (a badge to the
/// baseline levels it shows) and the client's progress towards each baseline, signed as a whole.
public struct HandoverPackage: Sendable {
    /// The package's id (`urn:uuid:…`).
    public var id: String
    /// `ob3-ldp` (JSON with an `eddsa-rdfc-2022` proof) or `ob3-jwt` (a VC-JWT).
    public var format: CredentialFormat
    public var bytes: [UInt8]
    public var mediaType: String
    public var fileExtension: String
    /// The ids of the credentials inside, as issued.
    public var included: [String]
    /// The ids of valid credentials left out: a Data Integrity package cannot carry a VC-JWT, and no
    /// package carries OB 2.0 assertions.
    public var leftOut: [String]
    /// The baselines whose progress the package states (one signed progress credential each).
    public var baselines: [String]
}

extension CredentialIssuer {
    /// The CLR contexts of a package: VC 2.0, CLR 2.0.1 and OB 3.0.3.
    static let clrContexts: [JSONValue] = [
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    static let clrExtensions: JSONValue = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    static let clrSchemaURL = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"

    /// Builds and signs a hand-over package.
    ///
    /// - Parameters:
    ///   - result: the client's evaluation now: the baselines' progress comes from it.
    ///   - credentials: the client's valid credentials (the caller leaves out revoked, suspended and expired
    ///     ones), oldest first. A Data Integrity package carries the `ob3-ldp` ones; a VC-JWT package
    ///     carries those and the `ob3-jwt` ones (as compact JWS strings, as CLR 2.0's JWT example does).
    ///   - format: `ob3-ldp` (signed with `eddsa-rdfc-2022`; `signer` must be an Ed25519 key) or `ob3-jwt`.
    public func handoverPackage(
        _ result: EvaluationResult, credentials: [IssuedCredential], format: CredentialFormat, signer: Signer, now: Timestamp
    ) throws -> HandoverPackage {
        guard format == .ob3LDP || format == .ob3JWT else {
            throw CredentialError.invalidInput("a hand-over package is ob3-ldp or ob3-jwt, not \(format.rawValue)")
        }
        let dataIntegrity = format == .ob3LDP
        if dataIntegrity {
            guard case .edDSA = signer.material.backing else {
                throw CredentialError(
                    code: .wrongAlgorithm,
                    message: "an ob3-ldp package is signed with an Ed25519 key; make one with `merkisto keys generate --alg EdDSA`")
            }
        }
        let time = Timestamp(microseconds: now.seconds * 1_000_000)
        let builder = OpenBadgeCredentialBuilder(layout: layout, issuer: issuer, language: language, securing: dataIntegrity ? .dataIntegrity : .jwt)
        let random = randomBytes(32)
        let packageID = "urn:uuid:" + Recipient.timeOrderedUUID(random: random[0..<8])
        // The holder of the package: a new pseudonym, linked to nothing but this package.
        let subjectID = "urn:uuid:" + Recipient.uuid(from: random[16..<32])

        var entries: [JSONValue] = []
        var included: [String] = []
        var leftOut: [String] = []
        var achievements: [JSONValue] = []
        var achievementIDs = Set<String>()
        var badgeAchievements: [(badge: String, id: String)] = []
        /// The subject's list names each achievement once. One a signed credential in the package carries
        /// (a badge, a baseline) is listed by its id and description only: the whole of it (rubrics,
        /// alignments, creator) is in that credential, and a second copy of its blank nodes would only make
        /// the package costlier to canonicalize.
        func addAchievement(_ achievement: JSONValue?, badge: String?, whole: Bool = false) {
            guard case .object(let fields)? = achievement, case .string(let id)? = fields["id"], achievementIDs.insert(id).inserted else { return }
            achievements.append(.object(whole ? fields : fields.filter { Self.achievementSummary.contains($0.key) }))
            if let badge { badgeAchievements.append((badge, id)) }
        }
        for credential in credentials {
            switch credential.format {
            case .ob3LDP:
                guard case .object(let document) = try StrictJSON.read(credential.bytes) else {
                    throw CredentialError.invalidInput("credential \(credential.id) is not a JSON object")
                }
                entries.append(.object(document))
                addAchievement(Self.achievement(of: document), badge: credential.badge)
            case .ob3JWT where !dataIntegrity:
                guard let payload = CompactJWS.payload(of: credential.bytes), case .object(let document) = try StrictJSON.read(payload) else {
                    throw CredentialError.invalidInput("credential \(credential.id) is not a VC-JWT")
                }
                entries.append(.string(String(decoding: credential.bytes, as: UTF8.self)))
                addAchievement(Self.achievement(of: document), badge: credential.badge)
            default:
                leftOut.append(credential.id)
                continue
            }
            included.append(credential.id)
        }

        // The baselines: the baseline as an achievement with a rubric per requirement, each requirement
        // (a baseline level) as an achievement of its own, and the client's progress as a signed credential.
        var associations: [JSONValue] = []
        var baselines: [String] = []
        for standing in result.baselines {
            guard let framework = compiled.definitions.framework(standing.framework), let baseline = framework.baseline(standing.id) else { continue }
            let progress = BaselineProgress(baseline: baseline, standing: standing, framework: framework, builder: builder, layout: layout, language: language)
            addAchievement(progress.achievement(), badge: nil)
            for line in standing.lines {
                let requirementID = progress.requirementID(line.competence)
                addAchievement(progress.requirementAchievement(line), badge: nil, whole: true)
                associations.append(Self.association("isChildOf", from: requirementID, to: progress.id))
                for (badgeID, achievementID) in badgeAchievements {
                    guard let badge = compiled.definitions.badge(badgeID) else { continue }
                    let shows = compiled.definitions.requiredLevels(of: badge).contains { required in
                        required.competence == line.competence && required.level >= line.required && required.evidence >= line.requiredEvidence
                    }
                    if shows { associations.append(Self.association("isChildOf", from: achievementID, to: requirementID)) }
                }
            }
            let credential = progress.credential(
                id: "urn:uuid:" + Recipient.timeOrderedUUID(random: randomBytes(8)[...]), subjectID: subjectID, validFrom: time.utcDescription,
                dataIntegrity: dataIntegrity)
            entries.append(try secure(credential, subjectID: subjectID, time: time, dataIntegrity: dataIntegrity, signer: signer))
            baselines.append(standing.id)
        }

        var subject: [String: JSONValue] = [
            "id": .string(subjectID), "type": ["ClrSubject"], "verifiableCredential": .array(entries),
        ]
        if !achievements.isEmpty { subject["achievement"] = .array(achievements) }
        if !associations.isEmpty { subject["association"] = .array(associations) }
        var package: [String: JSONValue] = [
            "@context": .array(Self.clrContexts),
            "id": .string(packageID),
            "type": ["VerifiableCredential", "ClrCredential"],
            "name": .string(Localizer.shared.text("handover.name", language)),
            "description": .string(Localizer.shared.text("handover.description", language)),
            "issuer": builder.profile(),
            "validFrom": .string(time.utcDescription),
            "credentialSubject": .object(subject),
        ]
        let bytes: [UInt8]
        if dataIntegrity {
            bytes = JSONValue.object(try secureWithProof(package, signer: signer, time: time)).jsonBytes()
        } else {
            package["@context"] = .array(Self.clrContexts + [Self.clrExtensions])
            package["credentialSchema"] = [.object(["id": .string(Self.clrSchemaURL), "type": "1EdTechJsonSchemaValidator2019"])]
            guard case .string(let token) = try secure(package, subjectID: subjectID, time: time, dataIntegrity: false, signer: signer) else {
                preconditionFailure("a VC-JWT is a string")
            }
            bytes = Array(token.utf8)
        }
        return HandoverPackage(
            id: packageID, format: format, bytes: bytes, mediaType: dataIntegrity ? "application/vc+ld+json" : "application/vc+jwt",
            fileExtension: dataIntegrity ? "json" : "jwt", included: included, leftOut: leftOut, baselines: baselines)
    }

    /// What the subject's list of achievements keeps of each (the CLR schema's required fields and a few
    /// more a reader shows).
    static let achievementSummary: Set<String> = ["id", "type", "achievementType", "name", "description", "criteria", "image", "inLanguage"]

    /// A credential's achievement as issued.
    private static func achievement(of document: [String: JSONValue]) -> JSONValue? {
        guard case .object(let subject)? = document["credentialSubject"] else { return nil }
        return subject["achievement"]
    }

    private static func association(_ type: String, from source: String, to target: String) -> JSONValue {
        .object(["type": "Association", "associationType": .string(type), "sourceId": .string(source), "targetId": .string(target)])
    }

    /// A document signed as the package is: with an `eddsa-rdfc-2022` proof, or as a VC-JWT (its claims
    /// added) given back as the token's text.
    private func secure(_ document: [String: JSONValue], subjectID: String, time: Timestamp, dataIntegrity: Bool, signer: Signer) throws -> JSONValue {
        if dataIntegrity { return .object(try secureWithProof(document, signer: signer, time: time)) }
        var payload = document
        payload["iss"] = .string(layout.issuerProfile)
        payload["jti"] = document["id"]
        payload["sub"] = .string(subjectID)
        payload["nbf"] = .int(Int(time.seconds))
        let token = try JWS.sign(.object(payload), header: JWS.header(algorithm: signer.key.algorithm, kid: layout.jwk(signer.key.kid), type: "JWT"), key: signer.material)
        return .string(String(decoding: token, as: UTF8.self))
    }

    private func secureWithProof(_ document: [String: JSONValue], signer: Signer, time: Timestamp) throws -> [String: JSONValue] {
        guard case .edDSA(let key) = signer.material.backing else {
            throw CredentialError(code: .wrongAlgorithm, message: "a Data Integrity proof is made with an Ed25519 key")
        }
        do {
            return try DataIntegrity.sign(document, key: key, verificationMethod: layout.verificationMethod(signer.key.kid), created: time.utcDescription)
        } catch {
            throw CredentialError.invalidInput("cannot sign the hand-over package: \(error)")
        }
    }
}

/// One baseline in a package: its achievement, its requirements as achievements, and the client's progress.
private struct BaselineProgress {
    let baseline: Framework.Baseline
    let standing: BaselineResult
    let framework: Framework
    let builder: OpenBadgeCredentialBuilder
    let layout: PublishLayout
    let language: Language

    var id: String { layout.baseline(baseline.id) }
    var title: String { baseline.title.text(in: language) }

    func requirementID(_ competence: String) -> String { "\(id)#requirement-\(competence)" }

    private func competenceName(_ code: String) -> String {
        framework.competence(code).map { "\(code) \($0.title.text(in: language))" } ?? code
    }

    private func levelName(_ value: Int) -> String {
        framework.level(value)?.label.text(in: language) ?? String(value)
    }

    /// "1.1 Browsing…: level 3 (Intermediate), shown by a test or more": one requirement in words.
    private func requirementText(_ line: BaselineResult.Gap) -> String {
        Localizer.shared.text(
            "handover.requirement", language,
            [
                "competence": competenceName(line.competence), "level": String(line.required), "levelName": levelName(line.required),
                "evidence": Localizer.shared.text("evidenceNoun.\(line.requiredEvidence.rawValue)", language),
            ])
    }

    func achievement() -> JSONValue {
        let lines = standing.lines
        var fields: [String: JSONValue] = [
            "id": .string(id),
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": .string(title),
            "description": .string(
                baseline.description?.text(in: language)
                    ?? Localizer.shared.text("handover.baseline.description", language, ["count": String(lines.count)])),
            "criteria": .object(["narrative": .string(lines.map(requirementText).joined(separator: "\n"))]),
            "creator": builder.profile(),
            "inLanguage": .string(language.rawValue),
            "alignment": .array(lines.map { alignment($0.competence) }),
            "resultDescription": .array(lines.map(resultDescription)),
        ]
        if lines.isEmpty {
            fields["alignment"] = nil
            fields["resultDescription"] = nil
        }
        return .object(fields)
    }

    func requirementAchievement(_ line: BaselineResult.Gap) -> JSONValue {
        let text = requirementText(line)
        return .object([
            "id": .string(requirementID(line.competence)),
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": .string("\(title): \(text)"),
            "description": .string(text),
            "criteria": .object(["narrative": .string(text)]),
            "inLanguage": .string(language.rawValue),
            "alignment": [alignment(line.competence)],
        ])
    }

    private func alignment(_ code: String) -> JSONValue {
        builder.alignment(
            code: code, title: framework.competence(code)?.title.text(in: language) ?? code, frameworkName: "DigComp \(framework.version)",
            frameworkURL: framework.source ?? BadgeFacts.digCompURL)
    }

    private func resultDescription(_ line: BaselineResult.Gap) -> JSONValue {
        .object([
            "id": .string("\(id)#competence-\(line.competence)"),
            "type": ["ResultDescription"],
            "name": .string(
                Localizer.shared.text(
                    "handover.result.name", language,
                    [
                        "competence": competenceName(line.competence),
                        "evidence": Localizer.shared.text("evidenceNoun.\(line.requiredEvidence.rawValue)", language),
                    ])),
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": .array(
                framework.levels.sorted { $0.value < $1.value }.map { level in
                    .object([
                        "id": .string(builder.levelID(id, line.competence, level.value)),
                        "type": ["RubricCriterionLevel"],
                        "name": .string(level.label.text(in: language)),
                        "level": .string(String(level.value)),
                    ])
                }),
            "requiredLevel": .string(builder.levelID(id, line.competence, line.required)),
        ])
    }

    /// The client's progress: an AchievementCredential whose results give, for each requirement, the level
    /// the client has from evidence at least as strong as the requirement asks — never a level from weaker
    /// evidence — and whether it is met (`Completed`) or not yet (`InProgress`).
    func credential(id credentialID: String, subjectID: String, validFrom: String, dataIntegrity: Bool) -> [String: JSONValue] {
        let results: [JSONValue] = standing.lines.map { line in
            var result: [String: JSONValue] = [
                "type": ["Result"],
                "resultDescription": .string("\(id)#competence-\(line.competence)"),
                "status": .string(line.current >= line.required ? "Completed" : "InProgress"),
            ]
            if line.current > 0 { result["achievedLevel"] = .string(builder.levelID(id, line.competence, line.current)) }
            return .object(result)
        }
        var subject: [String: JSONValue] = ["id": .string(subjectID), "type": ["AchievementSubject"], "achievement": achievement()]
        if !results.isEmpty { subject["result"] = .array(results) }
        var fields: [String: JSONValue] = [
            "@context": OpenBadgeCredentialBuilder.contexts,
            "id": .string(credentialID),
            "type": ["VerifiableCredential", "AchievementCredential"],
            "name": .string(Localizer.shared.text("handover.progress.name", language, ["baseline": title])),
            "issuer": builder.profile(),
            "validFrom": .string(validFrom),
            "credentialSubject": .object(subject),
        ]
        if !dataIntegrity {
            fields["credentialSchema"] = [
                .object(["id": .string(OpenBadgeCredentialBuilder.schemaURL), "type": "1EdTechJsonSchemaValidator2019"])
            ]
        }
        return fields
    }
}
