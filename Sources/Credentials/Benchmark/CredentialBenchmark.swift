public import Basics
import Crypto
public import Evaluation
import Foundation

/// What the credential figures of `merkisto bench` work on: every badge earned by a generated population,
/// issued as OB 3.0 VC-JWTs with an ES256 key held in memory.
public struct CredentialWorkload: Sendable {
    public let issuer: CredentialIssuer
    public let signer: Signer
    /// The Ed25519 key of the Data Integrity figures.
    public let dataIntegritySigner: Signer
    /// One entry per earned badge: the client's evaluation and the badge id.
    let earned: [(result: EvaluationResult, badge: String)]
    public let time: Timestamp

    public var count: Int { earned.count }

    public init(compiled: CompiledDefinitions, clients: Int) throws {
        let time = PopulationGenerator.evaluationTime
        let evaluator = Evaluator(compiled)
        var earned: [(result: EvaluationResult, badge: String)] = []
        for record in PopulationGenerator(compiled: compiled).clients(clients) {
            let result = evaluator.evaluate(record, at: time)
            for badge in result.badges where badge.earned { earned.append((result, badge.id)) }
        }
        guard !earned.isEmpty else { throw CredentialError.invalidInput("the generated population earns no badge") }
        let material = try KeyMaterial.generate(.es256)
        let kid = "bench-es256"
        let key = StoredKey(
            kid: kid, algorithm: .es256, created: time, retired: nil, publicJWK: try material.publicJWK(kid: kid), publicPEM: material.publicPEM)
        self.issuer = try CredentialIssuer(compiled: compiled, keys: KeyStore(directory: "/nonexistent"))
        self.signer = Signer(key: key, material: material)
        let edMaterial = try KeyMaterial.generate(.edDSA)
        let edKid = "bench-ed25519"
        self.dataIntegritySigner = Signer(
            key: StoredKey(
                kid: edKid, algorithm: .edDSA, created: time, retired: nil, publicJWK: try edMaterial.publicJWK(kid: edKid),
                publicPEM: edMaterial.publicPEM),
            material: edMaterial)
        self.earned = earned
        self.time = time
    }

    /// Builds and signs the credential for earned badge number `index` (modulo the count).
    public func issue(_ index: Int) throws -> IssuedCredential {
        let entry = earned[index % earned.count]
        return try issuer.issue(
            earned: entry.result, badge: entry.badge, format: .ob3JWT, recipient: .email("asiakas@example.org"), signer: signer, now: time)
    }

    /// Builds and signs the OB 3.0 credential with a Data Integrity proof for earned badge number `index`.
    public func issueDataIntegrity(_ index: Int) throws -> IssuedCredential {
        let entry = earned[index % earned.count]
        return try issuer.issue(
            earned: entry.result, badge: entry.badge, format: .ob3LDP, recipient: .email("asiakas@example.org"), signer: dataIntegritySigner,
            now: time)
    }

    /// A verifier that trusts exactly the workload's keys.
    public func verifier() throws -> CredentialVerifier {
        let jwks = JSONValue.object(["keys": [signer.key.publicJWK, dataIntegritySigner.key.publicJWK]])
        return try CredentialVerifier(jwksData: Data(jwks.jsonBytes()))
    }
}

public enum CredentialBenchmark {
    /// Issue and verify rates for OB 3.0 VC-JWTs, each beside the rate of the bare P-256 operation on the
    /// very same signing inputs, so that the ratio shows what building and checking a credential adds.
    public static func run(_ workload: CredentialWorkload, seconds: Double) throws -> [BenchmarkFigure] {
        let count = workload.count
        let tokens = try (0..<count).map { try workload.issue($0).bytes }
        let inputs = tokens.map { token in Array(token[..<token.lastIndex(of: UInt8(ascii: "."))!]) }
        // Raw r‖s bytes, as a JWS carries them; the bare check reads them into a signature each time.
        let signatures = try tokens.map { token in
            guard let signature = Base64URL.decode(String(decoding: token[(token.lastIndex(of: UInt8(ascii: "."))! + 1)...], as: UTF8.self)) else {
                throw CredentialError.invalidInput("internal: an issued token has no signature")
            }
            return signature
        }
        guard case .es256(let privateKey) = workload.signer.material.backing else {
            throw CredentialError.invalidInput("internal: the bench key is not ES256")
        }
        let publicKey = privateKey.publicKey
        let verifier = try workload.verifier()
        let rates = try alternately(seconds: seconds, batch: min(count, 64), what: "VC-JWT") {
            [
                { index in (try? privateKey.signature(for: inputs[index % count])) != nil },
                { index in (try? workload.issue(index)) != nil },
                { index in
                    let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatures[index % count])
                    return signature.map { publicKey.isValidSignature($0, for: inputs[index % count]) } ?? false
                },
                { index in verifier.verify(tokens[index % count], now: workload.time).isValid },
            ]
        }
        let (rawSign, issue, rawVerify, verify) = (rates[0], rates[1], rates[2], rates[3])
        let average = tokens.reduce(0) { $0 + $1.count } / count
        return try [
            BenchmarkFigure(
                name: "issue_ob3_jwt_per_s", value: issue,
                note: "OB 3.0 VC-JWTs built and signed (ES256) per second, no ledger; \(count) earned badges, \(average) bytes on average"),
            BenchmarkFigure(name: "raw_p256_sign_per_s", value: rawSign, note: "bare P-256 signatures over the same signing inputs"),
            BenchmarkFigure(
                name: "verify_ob3_jwt_per_s", value: verify, note: "the same tokens verified per second (signature, claims, dates, revocation)"),
            BenchmarkFigure(name: "raw_p256_verify_per_s", value: rawVerify, note: "bare P-256 signature checks of the same tokens"),
        ] + dataIntegrity(workload, seconds: seconds)
    }

    /// Issue and verify rates for OB 3.0 credentials with an `eddsa-rdfc-2022` proof (JSON-LD, RDFC-1.0,
    /// Ed25519), beside the rate of bare Ed25519 signatures over inputs of the same length.
    static func dataIntegrity(_ workload: CredentialWorkload, seconds: Double) throws -> [BenchmarkFigure] {
        let count = workload.count
        let documents = try (0..<count).map { try workload.issueDataIntegrity($0).bytes }
        guard case .edDSA(let privateKey) = workload.dataIntegritySigner.material.backing else {
            throw CredentialError.invalidInput("internal: the bench key is not Ed25519")
        }
        // What eddsa-rdfc-2022 signs is two SHA-256 hashes: 64 bytes.
        let inputs = (0..<count).map { index in (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        let verifier = try workload.verifier()
        let rates = try alternately(seconds: seconds, batch: min(count, 16), what: "Data Integrity") {
            [
                { index in (try? privateKey.signature(for: inputs[index % count])) != nil },
                { index in (try? workload.issueDataIntegrity(index)) != nil },
                { index in verifier.verify(documents[index % count], now: workload.time).isValid },
            ]
        }
        let (rawSign, issue, verify) = (rates[0], rates[1], rates[2])
        let average = documents.reduce(0) { $0 + $1.count } / count
        return [
            BenchmarkFigure(
                name: "issue_ob3_ldp_per_s", value: issue,
                note: "OB 3.0 credentials with an eddsa-rdfc-2022 proof built and signed per second on one core; \(average) bytes on average"),
            BenchmarkFigure(
                name: "verify_ob3_ldp_per_s", value: verify,
                note: "the same credentials verified per second: JSON-LD, RDFC-1.0 and the signature each time, dates, revocation"),
            BenchmarkFigure(name: "raw_ed25519_sign_per_s", value: rawSign, note: "bare Ed25519 signatures over 64 bytes (what the proof signs)"),
        ]
    }

    /// Runs the bodies in turn, eight times, each for an eighth of `seconds` at a time, and keeps each one's
    /// best rate, so that a busy moment on the machine does not land on one side of a ratio only (with two
    /// turns of half the time, the VC-JWT ratio moved between 0.79 and 0.85 from run to run on a shared
    /// machine: one busy second was enough to spoil a side). A body does one
    /// operation (given a running number) and says whether it succeeded; `batch` operations go between
    /// two clock readings.
    static func alternately(seconds: Double, batch: Int, what: String, _ bodies: () -> [(Int) -> Bool]) throws -> [Double] {
        let bodies = bodies()
        var rates = [Double](repeating: 0, count: bodies.count)
        var cursor = 0
        var failures = 0
        let turns = 8
        for _ in 0..<turns {
            for (index, body) in bodies.enumerated() {
                rates[index] = max(rates[index], measureRate(seconds: seconds / Double(turns)) {
                    for _ in 0..<batch {
                        if !body(cursor) { failures += 1 }
                        cursor += 1
                    }
                    return batch
                })
            }
        }
        guard failures == 0 else { throw CredentialError.invalidInput("internal: \(failures) \(what) bench operations failed") }
        return rates
    }

    /// Signing and verifying one given credential, as `benchmarks/compare.sh` has a peer do with the same
    /// document: an `eddsa-rdfc-2022` proof made and checked with full JSON-LD processing and RDFC-1.0 each
    /// time (no template), and a VC-JWT (EdDSA) of `payload` signed and verified (claims, dates). One new
    /// Ed25519 key; bare Ed25519 signatures over 64 bytes beside them.
    public static func sameDocument(_ document: [String: JSONValue], payload: [String: JSONValue], now: Timestamp, seconds: Double) throws
        -> [BenchmarkFigure]
    {
        let material = try KeyMaterial.generate(.edDSA)
        guard case .edDSA(let privateKey) = material.backing else { throw CredentialError.invalidInput("internal: not an Ed25519 key") }
        let method = "did:example:compare#key-1"
        let created = now.utcDescription
        var unsecured = document
        unsecured["proof"] = nil
        let signed: [String: JSONValue]
        do { signed = try DataIntegrity.sign(unsecured, key: privateKey, verificationMethod: method, created: created) } catch {
            throw CredentialError.invalidInput("the document cannot be signed: \(error.message)")
        }
        let header = JWS.header(algorithm: .edDSA, kid: "compare", type: "JWT")
        let token = try JWS.sign(.object(payload), header: header, key: material)
        let verifier = try CredentialVerifier(jwksData: Data(JSONValue.object(["keys": [try material.publicJWK(kid: "compare")]]).jsonBytes()))
        let report = verifier.verify(token, now: now)
        guard report.isValid else {
            throw CredentialError.invalidInput("the payload is not a VC-JWT Merkisto accepts: \(report.failures.map(\.description).joined(separator: "; "))")
        }
        let input = (0..<64).map { UInt8($0) }
        let rates = try alternately(seconds: seconds, batch: 4, what: "same-document") {
            [
                { _ in (try? privateKey.signature(for: input)) != nil },
                { _ in (try? DataIntegrity.sign(unsecured, key: privateKey, verificationMethod: method, created: created)) != nil },
                { _ in (try? DataIntegrity.proof(of: signed)).map { (try? DataIntegrity.isValid($0, of: signed, key: privateKey.publicKey)) == true } ?? false },
                { _ in (try? JWS.sign(.object(payload), header: header, key: material)) != nil },
                { _ in verifier.verify(token, now: now).isValid },
                { _ in (try? DataIntegrity.canonicalHash(.object(unsecured), what: "the document")) != nil },
            ]
        }
        return [
            BenchmarkFigure(name: "raw_ed25519_sign_per_s", value: rates[0], note: "bare Ed25519 signatures over 64 bytes"),
            BenchmarkFigure(name: "sign_ldp_per_s", value: rates[1], note: "eddsa-rdfc-2022 proofs made for the document (JSON-LD, RDFC-1.0, Ed25519)"),
            BenchmarkFigure(name: "verify_ldp_per_s", value: rates[2], note: "the proof checked (JSON-LD, RDFC-1.0, Ed25519)"),
            BenchmarkFigure(name: "sign_jwt_per_s", value: rates[3], note: "VC-JWTs (EdDSA) of the payload: JSON written, base64url, signed"),
            BenchmarkFigure(name: "verify_jwt_per_s", value: rates[4], note: "the VC-JWT verified: signature, claims, dates"),
            BenchmarkFigure(name: "canonize_per_s", value: rates[5], note: "the document to RDF (JSON-LD) and its canonical N-Quads (RDFC-1.0) hashed"),
        ]
    }
}
