import Basics
import Credentials
import Crypto
import CryptoExtras
import Foundation
import MerkistoCore
import Storage
import Testing

/// JSON-LD lets the statements a proof covers be written in many shapes. A verifier that read only the
/// shape it expects could be told "valid" of a suspended or expired credential; these tests reshape real
/// credentials in every such way and check that the answer never changes.
@Suite("Verification reads what was signed, whatever the JSON's shape")
struct ReshapingTests {
    /// A clock the test moves.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = World.now
        var now: Timestamp {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    enum State: String, CaseIterable, Sendable {
        case valid, expired, notYetValid, revoked, suspended
    }

    /// A change of shape of a credential that keeps its statements; `proofKeeping`: a Data Integrity
    /// proof still holds after it (adding statements does not keep it).
    struct Reshaping: Sendable, CustomTestStringConvertible {
        var name: String
        var proofKeeping = true
        var change: @Sendable ([String: JSONValue]) -> [String: JSONValue]?
        var testDescription: String { name }
    }

    static let dateTime = "http://www.w3.org/2001/XMLSchema#dateTime"

    static func wrap(_ key: String) -> Reshaping {
        Reshaping(name: "\(key) in an array of one") { document in
            guard let value = document[key] else { return nil }
            var changed = document
            changed[key] = .array([value])
            return changed
        }
    }

    static func valueObject(_ key: String) -> Reshaping {
        Reshaping(name: "\(key) as a value object") { document in
            guard let value = document[key] else { return nil }
            var changed = document
            changed[key] = .object(["@value": value, "@type": .string(dateTime)])
            return changed
        }
    }

    static func rename(_ key: String, to other: String, what: String, value: (@Sendable (JSONValue) -> JSONValue)? = nil) -> Reshaping {
        Reshaping(name: what) { document in
            guard let found = document[key] else { return nil }
            var changed = document
            changed[key] = nil
            changed[other] = value?(found) ?? found
            return changed
        }
    }

    static let reshapings: [Reshaping] = [
        Reshaping(name: "as issued") { $0 },
        wrap("validFrom"), wrap("validUntil"), wrap("credentialStatus"), wrap("issuer"), wrap("credentialSubject"),
        valueObject("validFrom"), valueObject("validUntil"),
        rename("id", to: "@id", what: "@id for id"),
        rename("type", to: "@type", what: "@type for type"),
        rename(
            "validUntil", to: "https://www.w3.org/2018/credentials#validUntil", what: "validUntil under its full IRI",
            value: { .object(["@value": $0, "@type": .string(dateTime)]) }),
        rename("credentialStatus", to: "https://www.w3.org/2018/credentials#credentialStatus", what: "credentialStatus under its full IRI"),
        Reshaping(name: "the status entry's fields as arrays and value objects") { document in
            guard case .object(var entry)? = document["credentialStatus"], let index = entry["statusListIndex"], let purpose = entry["statusPurpose"]
            else { return nil }
            entry["statusListIndex"] = .array([.object(["@value": index])])
            entry["statusPurpose"] = .array([purpose])
            entry["@type"] = entry.removeValue(forKey: "type")
            var changed = document
            changed["credentialStatus"] = .array([.object(entry)])
            return changed
        },
        Reshaping(name: "every reshaping at once") { document in
            var changed = document
            for reshaping in [wrap("issuer"), wrap("credentialSubject"), valueObject("validFrom"), rename("id", to: "@id", what: ""),
                rename("type", to: "@type", what: ""), wrap("credentialStatus"),
                rename("validUntil", to: "https://www.w3.org/2018/credentials#validUntil", what: "", value: { .object(["@value": $0, "@type": .string(dateTime)]) })]
            {
                changed = reshaping.change(changed) ?? changed
            }
            return changed
        },
        Reshaping(name: "an extra statement", proofKeeping: false) { document in
            var changed = document
            changed["description"] = "Lisätty lause"
            return changed
        },
    ]

    /// A service over a memory store whose clock the test moves, with ES256 and Ed25519 keys.
    static func service(clock: Clock) throws -> (BadgeService, keysDirectory: String, cleanup: () -> Void) {
        let directory = NSTemporaryDirectory() + "merkisto-reshaping-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyStore = KeyStore(directory: directory + "/keys")
        _ = try keyStore.generate(.es256, kid: "es256-test", now: World.now)
        _ = try keyStore.generate(.edDSA, kid: "ed25519-test", now: World.now)
        _ = try keyStore.generate(.rs256, kid: "rs256-test", now: World.now)
        let service = BadgeService(store: MemoryStore(), compiled: World.compiled, keys: keyStore, baseURL: "https://badges.example.org/", clock: { clock.now })
        return (service, directory + "/keys", { try? FileManager.default.removeItem(atPath: directory) })
    }

    /// Issues one credential of a badge valid for 24 months in `format` and puts it in `state`; the clock
    /// is left at the time to verify at.
    static func credential(_ format: CredentialFormat, _ state: State, service: BadgeService, clock: Clock) async throws -> IssuedCredential {
        clock.now = World.now
        let client = "asiakas-\(format.rawValue)-\(state.rawValue)".lowercased()
        let example = try String(contentsOfFile: World.repository + "/examples/clients/tyoelaman-perustaso.json", encoding: .utf8)
        let record = example.replacingOccurrences(of: "\"client\": \"asiakas-9e4b\"", with: "\"client\": \"\(client)\"")
        let imported = try await service.importRecord(Array(record.utf8), by: "test")
        #expect(imported.client.id == client)
        let issued = try await service.issue(client: imported.client.id, badge: "tietoturvan-perusteet", format: format, by: "ohjaaja-1")
        let day: Int64 = 86_400_000_000
        switch state {
        case .valid: clock.now = Timestamp(microseconds: World.now.microseconds + day)
        case .expired: clock.now = Timestamp(microseconds: try #require(issued.validUntil).microseconds + day)
        case .notYetValid: clock.now = Timestamp(microseconds: World.now.microseconds - day)
        case .revoked: try await service.ledger.revoke(credential: issued.id, reason: "myönnetty erehdyksessä", by: "ohjaaja-1")
        case .suspended: try await service.ledger.suspend(credential: issued.id, reason: "tarkistetaan", by: "ohjaaja-1")
        }
        return issued
    }

    /// The credential's bytes with its JSON reshaped: a Data Integrity credential keeps its proof; a VC-JWT's
    /// payload is reshaped and signed again with the same key (as another issuing tool of the same issuer
    /// might write it).
    static func reshaped(_ credential: IssuedCredential, _ reshaping: Reshaping, keysDirectory: String) throws -> [UInt8]? {
        switch credential.format {
        case .ob3LDP:
            guard case .object(let document) = try JSONDecoder().decode(JSONValue.self, from: Data(credential.bytes)),
                let changed = reshaping.change(document)
            else { return nil }
            return JSONValue.object(changed).jsonBytes()
        default:
            let parts = String(decoding: credential.bytes, as: UTF8.self).split(separator: ".").map(String.init)
            guard case .object(let payload) = try JSONDecoder().decode(JSONValue.self, from: try #require(base64URL(parts[1]))),
                let changed = reshaping.change(payload)
            else { return nil }
            let signingInput = parts[0] + "." + base64URL(JSONValue.object(changed).jsonBytes())
            let signature: Data
            if credential.format == .ob2Signed {
                let pem = try String(contentsOfFile: keysDirectory + "/rs256-test.private.pem", encoding: .utf8)
                signature = try _RSA.Signing.PrivateKey(pemRepresentation: pem).signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5).rawRepresentation
            } else {
                let pem = try String(contentsOfFile: keysDirectory + "/es256-test.private.pem", encoding: .utf8)
                signature = try P256.Signing.PrivateKey(pemRepresentation: pem).signature(for: Data(signingInput.utf8)).rawRepresentation
            }
            return Array((signingInput + "." + base64URL(Array(signature))).utf8)
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URL(_ text: String) -> Data? {
        var padded = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded)
    }

    /// What a state must make verification say, as issued.
    static func expected(_ state: State, _ failures: [VerificationFailure]) -> Bool {
        switch state {
        case .valid: failures.isEmpty
        case .expired: failures.count == 1 && { if case .expired = failures[0] { true } else { false } }()
        case .notYetValid: failures.count == 1 && { if case .notYetValid = failures[0] { true } else { false } }()
        case .revoked: failures.count == 1 && { if case .revoked = failures[0] { true } else { false } }()
        case .suspended: failures == [.suspended]
        }
    }

    @Test("reshaping × state: the answer never changes with the shape", arguments: [CredentialFormat.ob3LDP, .ob3JWT])
    func table(format: CredentialFormat) async throws {
        let clock = Clock()
        let (service, keysDirectory, cleanup) = try Self.service(clock: clock)
        defer { cleanup() }
        for state in State.allCases {
            let issued = try await Self.credential(format, state, service: service, clock: clock)
            let asIssued = try await service.verify(issued.bytes)
            #expect(Self.expected(state, asIssued.failures), "\(format.rawValue) \(state): \(asIssued.failures)")
            for reshaping in Self.reshapings {
                guard let bytes = try Self.reshaped(issued, reshaping, keysDirectory: keysDirectory) else { continue }
                let report = try await service.verify(bytes)
                if format == .ob3LDP && !reshaping.proofKeeping {
                    #expect(report.failures == [.badSignature], "\(state) / \(reshaping.name)")
                } else {
                    #expect(report.failures == asIssued.failures, "\(format.rawValue) \(state) / \(reshaping.name): \(report.failures)")
                    #expect(report.id == issued.id, "\(format.rawValue) \(state) / \(reshaping.name)")
                }
            }
        }
    }

    @Test("OB 2.0 signed assertions are read only in the form Merkisto issues; any other shape is not valid")
    func ob2() async throws {
        let clock = Clock()
        let (service, keysDirectory, cleanup) = try Self.service(clock: clock)
        defer { cleanup() }
        let reshapings = [
            Self.wrap("expires"), Self.wrap("issuedOn"), Self.valueObject("expires"), Self.rename("id", to: "@id", what: "@id for id"),
            Self.rename("type", to: "@type", what: "@type for type"),
            Self.rename("expires", to: "https://w3id.org/security#expiration", what: "expires under its full IRI"),
            Self.rename("expires", to: "sec:expiration", what: "expires under a compact IRI"),
            Reshaping(name: "revoked as a string") { document in
                var changed = document
                changed["revoked"] = "true"
                return changed
            },
        ]
        for state in [State.valid, .expired, .notYetValid, .revoked] {
            let issued = try await Self.credential(.ob2Signed, state, service: service, clock: clock)
            let asIssued = try await service.verify(issued.bytes)
            #expect(Self.expected(state, asIssued.failures), "\(state): \(asIssued.failures)")
            for reshaping in reshapings {
                let bytes = try #require(try Self.reshaped(issued, reshaping, keysDirectory: keysDirectory), "\(reshaping.name)")
                let report = try await service.verify(bytes)
                #expect(!report.isValid && report.failures.allSatisfy { if case .malformed = $0 { true } else { false } }, "\(state) / \(reshaping.name): \(report.failures)")
            }
        }
    }

    @Test("a signed credential whose dates or status entry cannot be read is not valid, with a plain reason")
    func failsClosed() async throws {
        let clock = Clock()
        let (service, keysDirectory, cleanup) = try Self.service(clock: clock)
        defer { cleanup() }
        let issued = try await Self.credential(.ob3JWT, .valid, service: service, clock: clock)
        let unreadable: [Reshaping] = [
            Reshaping(name: "two values of validUntil") { document in
                var changed = document
                changed["validUntil"] = .array([document["validUntil"]!, "2099-01-01T00:00:00Z"])
                return changed
            },
            Reshaping(name: "validUntil not a date") { document in
                var changed = document
                changed["validUntil"] = .object(["@value": "pian", "@type": .string(Self.dateTime)])
                return changed
            },
            Reshaping(name: "validFrom as a plain string literal") { document in
                var changed = document
                changed["validFrom"] = .object(["@value": document["validFrom"]!])
                return changed
            },
            Reshaping(name: "a status entry of an unknown kind") { document in
                guard case .object(var entry)? = document["credentialStatus"] else { return nil }
                entry["type"] = "StatusList2021Entry"
                var changed = document
                changed["credentialStatus"] = .object(entry)
                return changed
            },
            Reshaping(name: "a status entry without its index") { document in
                guard case .object(var entry)? = document["credentialStatus"] else { return nil }
                entry["statusListIndex"] = nil
                var changed = document
                changed["credentialStatus"] = .object(entry)
                return changed
            },
            Reshaping(name: "a status entry for a purpose that cannot be checked") { document in
                guard case .object(var entry)? = document["credentialStatus"] else { return nil }
                entry["statusPurpose"] = "message"
                var changed = document
                changed["credentialStatus"] = .array([document["credentialStatus"]!, .object(entry)])
                return changed
            },
        ]
        for reshaping in unreadable {
            let bytes = try #require(try Self.reshaped(issued, reshaping, keysDirectory: keysDirectory), "\(reshaping.name)")
            let report = try await service.verify(bytes)
            #expect(!report.isValid, "\(reshaping.name)")
            #expect(report.failures.allSatisfy { failure in
                switch failure {
                case .malformed, .statusUnknown: true
                default: false
                }
            }, "\(reshaping.name): \(report.failures)")
        }
    }
}
