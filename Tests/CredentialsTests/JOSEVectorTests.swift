import Basics
import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import Credentials

/// Our JWS code against the published examples of RFC 7515 (A.3, ES256), RFC 7520 (4.1, RS256) and
/// RFC 8037 (A.4, Ed25519), and against algorithm confusion.
@Suite("JOSE against the RFC examples")
struct JOSEVectorTests {
    static func bytes(_ text: String) throws -> [UInt8] { try #require(Base64URL.decode(text)) }

    /// Signs `header.payload` (both already base64url) with our JWS code.
    static func sign(encodedHeader: String, encodedPayload: String, key: KeyMaterial) throws -> String {
        let token = try JWS.compact(encodedHeader: Array(encodedHeader.utf8), key: key) { $0.append(contentsOf: encodedPayload.utf8) }
        return String(decoding: token, as: UTF8.self)
    }

    /// Whether `token` verifies with the public JWK.
    static func verifies(_ token: String, jwk: [String: JSONValue]) throws -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        let input = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        return try VerificationKey(jwk: jwk).isValidSignature(try bytes(String(parts[2])), for: input[...])
    }

    @Test("RFC 8037 A.4: the Ed25519 signature is reproduced exactly and verifies")
    func ed25519() throws {
        let key = KeyMaterial(backing: .edDSA(try Curve25519.Signing.PrivateKey(rawRepresentation: try Self.bytes("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))))
        let expected = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
            + "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        // Our header writer gives the RFC's header bytes.
        #expect(Base64URL.encode(JWS.header(algorithm: .edDSA, kid: nil, type: nil)) == "eyJhbGciOiJFZERTQSJ9")
        let token = try Self.sign(encodedHeader: "eyJhbGciOiJFZERTQSJ9", encodedPayload: Base64URL.encode(Array("Example of Ed25519 signing".utf8)), key: key)
        #expect(token == expected)
        let jwk: [String: JSONValue] = ["kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"]
        #expect(try Self.verifies(expected, jwk: jwk))
        #expect(try !Self.verifies(expected.replacingOccurrences(of: ".RXhh", with: ".RXho"), jwk: jwk))
    }

    /// RFC 7520 3.4 (the "bilbo.baggins" RSA key).
    static let rsa: [String: String] = [
        "n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV"
            + "wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde"
            + "3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g"
            + "HdrNP5zw",
        "e": "AQAB",
        "d": "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRld"
            + "Y7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU"
            + "6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOc"
            + "OpBrQzwQ",
        "p": "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmG"
            + "peNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k",
        "q": "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7an"
            + "V5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc",
    ]

    @Test("RFC 7520 4.1: the RS256 signature is reproduced exactly and verifies")
    func rs256() throws {
        let r = Self.rsa
        let key = KeyMaterial(
            backing: .rs256(
                try _RSA.Signing.PrivateKey(
                    n: try Self.bytes(r["n"]!), e: try Self.bytes(r["e"]!), d: try Self.bytes(r["d"]!), p: try Self.bytes(r["p"]!),
                    q: try Self.bytes(r["q"]!))))
        let header = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
        let payload = "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlm"
            + "IHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"
        let signature = "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J"
            + "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP"
            + "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg"
        let token = try Self.sign(encodedHeader: header, encodedPayload: payload, key: key)
        #expect(token == header + "." + payload + "." + signature)
        let jwk: [String: JSONValue] = ["kty": "RSA", "n": .string(r["n"]!), "e": "AQAB"]
        #expect(try Self.verifies(token, jwk: jwk))
        #expect(try !Self.verifies(header + "." + payload.dropLast() + "w." + signature, jwk: jwk))
    }

    @Test("RFC 7515 A.3: the ES256 example verifies; our signatures with its key verify and differ each time")
    func es256() throws {
        let header = "eyJhbGciOiJFUzI1NiJ9"
        let payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        let example = header + "." + payload + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
        let jwk: [String: JSONValue] = [
            "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        ]
        #expect(try Self.verifies(example, jwk: jwk))
        #expect(try !Self.verifies(example.replacingOccurrences(of: ".DtEh", with: ".DtEi"), jwk: jwk))
        let key = KeyMaterial(backing: .es256(try P256.Signing.PrivateKey(rawRepresentation: try Self.bytes("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"))))
        let first = try Self.sign(encodedHeader: header, encodedPayload: payload, key: key)
        let second = try Self.sign(encodedHeader: header, encodedPayload: payload, key: key)
        #expect(try Self.verifies(first, jwk: jwk) && Self.verifies(second, jwk: jwk))
        #expect(first != second)
    }

    @Test("algorithm confusion: none, HS256 keyed with the public key, and an alg that is not the key's are refused")
    func algorithmConfusion() async throws {
        let world = try IssueVerifyTests.World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let verifier = try await world.verifier()
        let stored = try world.keys.list()
        for algorithm in SigningAlgorithm.allCases {
            let document = try await world.issue(.ob3JWT, algorithm: algorithm)
            let token = String(decoding: document.bytes, as: UTF8.self)
            #expect(verifier.verify(token, now: Setup.now).isValid)
            let parts = token.split(separator: ".").map(String.init)
            guard case .object(var header) = try JSONBytes.parse(try Self.bytes(parts[0])) else { Issue.record("header"); continue }
            func forged(alg: String, signature: (String) throws -> String) throws -> String {
                header["alg"] = .string(alg)
                let encodedHeader = Base64URL.encode(JSONValue.object(header).jsonBytes())
                return encodedHeader + "." + parts[1] + "." + (try signature(encodedHeader + "." + parts[1]))
            }
            let publicKey = try #require(stored.first { $0.algorithm == algorithm })
            var attempts: [String: String] = [:]
            // "none": no signature, or the real one left in place.
            attempts["none, empty signature"] = try forged(alg: "none") { _ in "" }
            attempts["none, real signature"] = try forged(alg: "none") { _ in parts[2] }
            // HS256 keyed with what is public: the PEM, and the JWK as published.
            for (name, secret) in [("PEM", Array(publicKey.publicPEM.utf8)), ("JWK", publicKey.publicJWK.jsonBytes())] {
                attempts["HS256 over the public \(name)"] = try forged(alg: "HS256") { input in
                    Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))))
                }
            }
            // Every other algorithm named, signed by a key of that algorithm, with this key's kid.
            for other in SigningAlgorithm.allCases where other != algorithm {
                let otherKey = try world.keys.material(for: try #require(stored.first { $0.algorithm == other }))
                attempts["\(other.rawValue) named, signed by an \(other.rawValue) key"] = try forged(alg: other.rawValue) { input in
                    Base64URL.encode(try otherKey.signature(for: Array(input.utf8)))
                }
                attempts["\(other.rawValue) named, real signature"] = try forged(alg: other.rawValue) { _ in parts[2] }
            }
            for (name, attempt) in attempts {
                let report = verifier.verify(attempt, now: Setup.now)
                #expect(!report.isValid, "\(algorithm.rawValue) key: \(name) was accepted")
            }
        }
    }
}
