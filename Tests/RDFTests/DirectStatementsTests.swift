import Basics
import Foundation
@testable import JSONLD
import RDF
import Testing

/// The walk straight from JSON to statements (`directStatements`) against expansion and the node map
/// (`fullRDF`): wherever the walk takes a document, the canonical N-Quads are the same; where full
/// processing refuses a document, the walk does not take it.
@Suite("JSON-LD: statements straight from the document")
struct DirectStatementsTests {
    static let processor = JSONLDProcessor(loader: .bundled)
    static let contexts: JSONValue = .array(["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"])

    /// The canonical N-Quads of the walk (nil when it does not take the document) and of full processing (nil
    /// when it refuses the document).
    static func both(_ document: JSONValue) -> (direct: String?, full: String?) {
        let direct = processor.directStatements(document).map { try? RDFCanonicalizer().canonicalNQuads($0) } ?? nil
        let full = (try? processor.fullRDF(document)).map { try? RDFCanonicalizer().canonicalNQuads($0) } ?? nil
        return (direct, full)
    }

    @Test("the 1EdTech worked example and a credential in Merkisto's shape are walked straight, to the same statements")
    func issuedShapes() throws {
        let data = try #require(FileManager.default.contents(atPath: JSONLDTests.vectors + "/ldp-ob-credential.json"))
        let example = try JSONDecoder().decode(JSONValue.self, from: data)
        for document in [example, Self.merkistoShaped(seed: 1), Self.merkistoShaped(seed: 2), Self.proofConfiguration(seed: 3)] {
            let (direct, full) = Self.both(document)
            #expect(direct != nil)
            #expect(full != nil)
            #expect(direct == full)
        }
        // The walk's statements are what toRDF gives.
        #expect(try Self.processor.toRDF(example) == Self.processor.directStatements(example))
    }

    @Test("reshaped documents: the same statements whenever the walk takes one, and never one full processing refuses")
    func reshaped() throws {
        var random = SplitMix64(seed: 20261206)
        var taken = 0
        var refused = 0
        for index in 0..<600 {
            var document = index % 5 == 0 ? Self.proofConfiguration(seed: UInt64(index)) : Self.merkistoShaped(seed: UInt64(index))
            let changes = Int(random.next() % 4)
            for _ in 0..<changes { document = Self.reshape(document, &random) }
            let (direct, full) = Self.both(document)
            if full == nil {
                refused += 1
                #expect(direct == nil, "document \(index): the walk took a document full processing refuses: \(String(decoding: document.jsonBytes(), as: UTF8.self).prefix(400))")
                #expect(throws: JSONLDError.self) { try Self.processor.toRDF(document) }
            } else if let direct {
                taken += 1
                #expect(direct == full, "document \(index): \(String(decoding: document.jsonBytes(), as: UTF8.self).prefix(400))")
            }
        }
        // Both sides of the comparison were reached, many times.
        #expect(taken > 200)
        #expect(refused > 100)
    }

    /// A credential shaped like the ones Merkisto issues (achievement with alignments, rubric levels and a
    /// creator, results, a hashed email identity, evidence, a status entry).
    static func merkistoShaped(seed: UInt64) -> JSONValue {
        var random = SplitMix64(seed: seed &+ 7)
        let base = "https://badges.example.org/"
        let badge = "\(base)achievements/badge-\(random.next() % 9).json"
        let levels: [JSONValue] = (0..<Int(1 + random.next() % 3)).map { level in
            ["id": .string("\(badge)#level-\(level)"), "type": ["RubricCriterionLevel"], "name": .string("Taso \(level)"), "level": .string("\(level)")]
        }
        var achievement: [String: JSONValue] = [
            "id": .string(badge), "type": ["Achievement"], "name": "Asiointi verkossa", "description": "Osaa asioida verkossa.",
            "criteria": ["narrative": "Näytetty ohjaajalle."], "achievementType": "Competency", "inLanguage": "fi", "version": "1",
            "image": ["id": .string("\(base)images/badge.png"), "type": "Image"], "tag": ["digitaidot"],
            "alignment": .array((0..<Int(1 + random.next() % 3)).map { number in
                ["type": ["Alignment"], "targetName": .string("DigComp \(number)"), "targetUrl": .string("https://example.org/digcomp/\(number)"),
                 "targetFramework": "DigComp 2.2", "targetCode": .string("1.\(number)"), "targetType": "CFItem"]
            }),
            "resultDescription": [["id": .string("\(badge)#result"), "type": ["ResultDescription"], "name": "Taso", "resultType": "RubricCriterionLevel",
                                   "requiredLevel": .string("\(badge)#level-0"), "rubricCriterionLevel": .array(levels)]],
        ]
        if random.next() % 2 == 0 {
            achievement["creator"] = ["id": .string("\(base)issuers/alue.json"), "type": ["Profile"], "name": "Hyvinvointialue", "url": "https://alue.example.fi"]
        }
        var subject: [String: JSONValue] = [
            "type": ["AchievementSubject"], "achievement": .object(achievement),
            "identifier": [["type": "IdentityObject", "identityType": "emailAddress", "hashed": true, "identityHash": "sha256$abc", "salt": "suola"]],
            "result": [["type": ["Result"], "resultDescription": .string("\(badge)#result"), "achievedLevel": .string("\(badge)#level-1")]],
        ]
        if random.next() % 2 == 0 { subject["id"] = .string("urn:uuid:\(random.next())") }
        var document: [String: JSONValue] = [
            "@context": contexts, "id": .string("urn:uuid:\(random.next())"), "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": ["id": .string("\(base)issuers/alue.json"), "type": ["Profile"], "name": "Hyvinvointialue", "email": "info@alue.example.fi"],
            "validFrom": "2026-12-01T10:00:00Z", "name": "Asiointi verkossa", "credentialSubject": .object(subject),
            "evidence": [["type": ["Evidence"], "name": "Havainto", "narrative": "Ohjaaja näki."]],
        ]
        if random.next() % 2 == 0 { document["validUntil"] = "2029-12-01T10:00:00Z" }
        if random.next() % 2 == 0 {
            document["credentialStatus"] = [
                "id": .string("\(base)status/1#\(random.next() % 1000)"), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                "statusListIndex": .string("\(random.next() % 1000)"), "statusListCredential": .string("\(base)status/1"),
            ]
        }
        return .object(document)
    }

    /// A Data Integrity proof configuration with the credential's contexts, as a proof's hash covers it
    /// (`proofPurpose` has a context of its own, which its plain value is expanded in).
    static func proofConfiguration(seed: UInt64) -> JSONValue {
        [
            "@context": contexts, "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": .string("2026-12-0\(1 + seed % 9)T10:00:00Z"),
            "verificationMethod": "did:web:badges.example.org#key-1", "proofPurpose": "assertionMethod",
        ]
    }

    /// One random change of shape somewhere in the document: some keep the statements (an alias written as
    /// its keyword, a value object, a full IRI as a key, an array of one, a null), some change them (a
    /// number, a language, an id given twice, a context of its own), some go beyond the walk (a blank node
    /// identifier, @graph, @list, @included, a language map) and some are errors (an undefined term or type,
    /// a relative id, a keyword twice).
    static func reshape(_ value: JSONValue, _ random: inout SplitMix64) -> JSONValue {
        guard case .object(var fields) = value else { return value }
        let nested = fields.keys.sorted().filter { key in
            if case .object = fields[key]! { return true }
            if case .array(let items) = fields[key]!, items.contains(where: { if case .object = $0 { true } else { false } }) { return true }
            return false
        }
        // Half the time the change goes one level down.
        if !nested.isEmpty, random.next() % 2 == 0 {
            let key = nested[Int(random.next() % UInt64(nested.count))]
            switch fields[key]! {
            case .array(var items):
                let index = Int(random.next() % UInt64(items.count))
                items[index] = reshape(items[index], &random)
                fields[key] = .array(items)
            case let object:
                fields[key] = reshape(object, &random)
            }
            return .object(fields)
        }
        let plain = fields.keys.sorted().filter { key in
            if case .string = fields[key]! { return key != "id" && key != "type" && !key.hasPrefix("@") }
            return false
        }
        let someKey = plain.isEmpty ? "name" : plain[Int(random.next() % UInt64(plain.count))]
        switch random.next() % 25 {
        case 0: if let id = fields.removeValue(forKey: "id") { fields["@id"] = id }
        case 1: if let type = fields.removeValue(forKey: "type") { fields["@type"] = type }
        case 2: if case .string(let text)? = fields[someKey] { fields[someKey] = ["@value": .string(text)] }
        case 3: if case .string(let text)? = fields[someKey] { fields[someKey] = ["@value": .string(text), "@language": "FI-fi"] }
        case 4: if let text = fields.removeValue(forKey: "name") { fields["https://schema.org/name"] = text }
        case 5: if let text = fields[someKey] { fields[someKey] = [text] }
        case 6: fields[someKey] = .null
        case 7: fields[someKey] = random.next() % 2 == 0 ? .int(Int(random.next() % 100)) : .double(2.5)
        case 8: fields[someKey] = .bool(true)
        case 9: fields["id"] = "https://badges.example.org/issuers/alue.json"
        case 10: fields["id"] = "_:node1"
        case 11: fields["@context"] = ["nickname": "https://example.org/nickname"]; fields["nickname"] = "x"
        case 12: fields["@graph"] = [["id": "https://example.org/g", "name": "g"]]
        case 13: fields["alignment"] = ["@list": [["type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"]]]
        case 14: fields["@included"] = [["id": "https://example.org/i"]]
        case 15: fields["undefinedTerm"] = "x"
        case 16: fields["type"] = ["Achievement", "MadeUpType"]
        case 17: fields["id"] = "relative/id"
        case 18: if let id = fields["id"] { fields["@id"] = id }
        case 19: fields[someKey] = ["@value": "x", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"]
        case 20: fields["@context"] = ["@language": "sv"]
        case 21:
            fields["@context"] = [
                "homepage": ["@id": "https://example.org/homepage", "@type": "@id"], "kind": ["@id": "https://example.org/kind", "@type": "@vocab"],
                "count": ["@id": "https://example.org/count", "@type": "http://www.w3.org/2001/XMLSchema#integer"],
                "motto": ["@id": "https://example.org/motto", "@language": "en"],
            ]
            fields["homepage"] = random.next() % 2 == 0 ? "https://example.org/home" : "_:home"
            fields["kind"] = random.next() % 2 == 0 ? "Achievement" : "https://example.org/Kind"
            fields["count"] = random.next() % 2 == 0 ? "12" : .int(12)
            fields["motto"] = ["Carpe diem", .double(1.5), .bool(false)]
        case 22: fields["allowedValue"] = ["Taso 1", "Taso 2"]
        case 23:
            fields["proof"] = [
                "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-12-01T10:00:00Z",
                "verificationMethod": "did:web:badges.example.org#key-1", "proofPurpose": "assertionMethod", "proofValue": "z3FXQ",
            ]
        default: fields[someKey] = ["@value": .null]
        }
        return .object(fields)
    }
}
