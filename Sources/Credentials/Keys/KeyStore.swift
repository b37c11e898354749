public import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One signing key as the key store lists it (public facts only).
public struct StoredKey: Sendable, Equatable {
    public var kid: String
    public var algorithm: SigningAlgorithm
    public var created: Timestamp
    /// When the key stopped signing; a retired key stays published so old credentials still verify.
    public var retired: Timestamp?
    /// The public key as a JWK.
    public var publicJWK: JSONValue
    /// The public key as SubjectPublicKeyInfo PEM.
    public var publicPEM: String

    /// The 32 bytes of an Ed25519 public key (from its JWK); nil for other algorithms.
    public var ed25519PublicKey: [UInt8]? {
        guard algorithm == .edDSA, case .object(let jwk) = publicJWK, case .string(let x)? = jwk["x"],
            let raw = Base64URL.decode(x), raw.count == 32
        else { return nil }
        return raw
    }

    public var isActive: Bool { retired == nil }
}

/// Signing keys in a folder (default `keys/`): `<kid>.private.pem` (mode 0600), `<kid>.public.pem`,
/// `<kid>.jwk.json` and a `keys.json` manifest. Private keys are read only to sign and are never printed.
public struct KeyStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    private var manifestPath: String { directory + "/keys.json" }
    private func privatePath(_ kid: String) -> String { directory + "/\(kid).private.pem" }
    private func publicPEMPath(_ kid: String) -> String { directory + "/\(kid).public.pem" }
    private func jwkPath(_ kid: String) -> String { directory + "/\(kid).jwk.json" }

    /// A key id: lowercase letters, digits and hyphens, so it can be part of a URL and a file name.
    public static func isValidKid(_ kid: String) -> Bool {
        !kid.isEmpty && kid.count <= 64 && kid.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// Generates a key, writes it and records it in the manifest. The status lists every OB 3.0 credential
    /// names are signed with an Ed25519 key, so when the folder has no active one, one is made as well
    /// (``list()`` shows it): no credential is ever issued that cannot be revoked verifiably.
    ///
    /// - Throws: ``CredentialError`` when the kid is taken or invalid, or a file cannot be written.
    @discardableResult
    public func generate(_ algorithm: SigningAlgorithm, kid requested: String? = nil, now: Timestamp) throws -> StoredKey {
        let key = try generateOne(algorithm, kid: requested, now: now)
        if algorithm != .edDSA, try !readManifest().contains(where: { $0.algorithm == .edDSA && $0.isActive }) {
            try generateOne(.edDSA, kid: nil, now: now)
        }
        return key
    }

    @discardableResult
    private func generateOne(_ algorithm: SigningAlgorithm, kid requested: String?, now: Timestamp) throws -> StoredKey {
        var manifest = try readManifest()
        let (year, month, day) = now.localDate
        let kid = requested ?? "\(algorithm.rawValue.lowercased())-\(year)\(month < 10 ? "0" : "")\(month)\(day < 10 ? "0" : "")\(day)-\(Self.randomSuffix())"
        guard Self.isValidKid(kid) else {
            throw CredentialError.invalidInput("key id \"\(kid)\" is not valid; use lowercase letters, digits and hyphens")
        }
        guard !manifest.contains(where: { $0.kid == kid }) else {
            throw CredentialError.invalidInput("a key with id \"\(kid)\" already exists")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let material = try KeyMaterial.generate(algorithm)
        try Self.writeSecret(material.privatePEM, to: privatePath(kid))
        let jwk = try material.publicJWK(kid: kid)
        try Self.writeAtomically(Data(material.publicPEM.utf8), to: publicPEMPath(kid))
        try Self.writeAtomically(jwk.prettyJSONData(), to: jwkPath(kid))
        let entry = StoredKey(kid: kid, algorithm: algorithm, created: now, retired: nil, publicJWK: jwk, publicPEM: material.publicPEM)
        manifest.append(entry)
        try writeManifest(manifest)
        return entry
    }

    /// Every key, oldest first.
    public func list() throws -> [StoredKey] { try readManifest() }

    /// Stops a key from signing; it stays in the store and in published key documents.
    public func retire(_ kid: String, now: Timestamp) throws {
        var manifest = try readManifest()
        guard let index = manifest.firstIndex(where: { $0.kid == kid }) else {
            throw CredentialError.unknownKey("there is no key \"\(kid)\" in \(directory)")
        }
        guard manifest[index].retired == nil else { return }
        // The status lists are signed with an active Ed25519 key; the last one is not retired before another is made.
        if manifest[index].algorithm == .edDSA, !manifest.contains(where: { $0.kid != kid && $0.algorithm == .edDSA && $0.isActive }) {
            throw CredentialError(
                code: .retiredKey,
                message: "key \"\(kid)\" signs the status lists and is the last active EdDSA key; make another first (`merkisto keys generate --alg EdDSA`), then retire this one")
        }
        manifest[index].retired = now
        try writeManifest(manifest)
    }

    /// The key to sign with: the named one (which must be active), or the newest active key of the algorithm.
    public func signingKey(kid: String?, algorithm: SigningAlgorithm?) throws -> StoredKey {
        let keys = try readManifest()
        if let kid {
            guard let key = keys.first(where: { $0.kid == kid }) else {
                throw CredentialError.unknownKey("there is no key \"\(kid)\" in \(directory); see `merkisto keys list`")
            }
            guard key.isActive else {
                throw CredentialError(code: .retiredKey, message: "key \"\(kid)\" is retired and signs nothing new")
            }
            if let algorithm, key.algorithm != algorithm {
                throw CredentialError(code: .wrongAlgorithm, message: "key \"\(kid)\" is \(key.algorithm.rawValue), not \(algorithm.rawValue)")
            }
            return key
        }
        let wanted = algorithm ?? .es256
        guard let key = keys.last(where: { $0.isActive && $0.algorithm == wanted }) else {
            throw CredentialError.unknownKey(
                "there is no active \(wanted.rawValue) key in \(directory); create one with `merkisto keys generate --alg \(wanted.rawValue)`")
        }
        return key
    }

    /// A secret of the server's own (32 random bytes), kept in the key folder like the private keys (mode
    /// 0600, never printed) and made on first use: what one-time codes are keyed with, so that a copy of the
    /// database alone gives no code back.
    public func secret(named name: String) throws -> [UInt8] {
        let path = directory + "/" + name + ".secret"
        if let data = FileManager.default.contents(atPath: path), let bytes = Data(base64Encoded: data), bytes.count == 32 { return Array(bytes) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        do {
            try Self.writeSecret(Data(bytes).base64EncodedString(), to: path)
        } catch {
            // Another process made it first: use theirs.
            if let data = FileManager.default.contents(atPath: path), let existing = Data(base64Encoded: data), existing.count == 32 { return Array(existing) }
            throw error
        }
        return bytes
    }

    /// Loads the private key of a stored key (internal: only signers use it).
    func material(for key: StoredKey) throws -> KeyMaterial {
        let path = privatePath(key.kid)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError.keyFile("the private key file of \"\(key.kid)\" cannot be read")
        }
        do {
            return try KeyMaterial.load(pem: String(decoding: data, as: UTF8.self), algorithm: key.algorithm)
        } catch {
            throw CredentialError.keyFile("the private key file of \"\(key.kid)\" is not a valid \(key.algorithm.rawValue) key")
        }
    }

    // MARK: Files

    private struct ManifestEntry: Codable {
        var kid: String
        var alg: String
        var created: String
        var retired: String?
    }

    private func readManifest() throws -> [StoredKey] {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return [] }
        let entries: [ManifestEntry]
        do {
            entries = try JSONDecoder().decode([ManifestEntry].self, from: data)
        } catch {
            throw CredentialError.keyFile("\(manifestPath) is not a valid key manifest")
        }
        return try entries.map { entry in
            guard let algorithm = SigningAlgorithm(name: entry.alg), case .success(let created) = Timestamp.parse(entry.created)
            else { throw CredentialError.keyFile("\(manifestPath): entry \"\(entry.kid)\" is not valid") }
            var retired: Timestamp?
            if let text = entry.retired, case .success(let time) = Timestamp.parse(text) { retired = time }
            guard let jwkData = FileManager.default.contents(atPath: jwkPath(entry.kid)),
                let jwk = try? JSONDecoder().decode(JSONValue.self, from: jwkData),
                let pem = FileManager.default.contents(atPath: publicPEMPath(entry.kid))
            else { throw CredentialError.keyFile("the public key files of \"\(entry.kid)\" are missing from \(directory)") }
            return StoredKey(
                kid: entry.kid, algorithm: algorithm, created: created, retired: retired, publicJWK: jwk,
                publicPEM: String(decoding: pem, as: UTF8.self))
        }
    }

    private func writeManifest(_ keys: [StoredKey]) throws {
        let entries = keys.map {
            ManifestEntry(kid: $0.kid, alg: $0.algorithm.rawValue, created: $0.created.description, retired: $0.retired?.description)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(try encoder.encode(entries), to: manifestPath)
    }

    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in String("0123456789abcdef".randomElement(using: &generator)!) }.joined()
    }

    /// Creates a file readable only by its owner (0600), failing if it exists; the secret is never in an error.
    static func writeSecret(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw CredentialError.io("cannot create \(path)") }
        defer { close(descriptor) }
        _ = fchmod(descriptor, 0o600)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw CredentialError.io("cannot write \(path)") }
    }

    /// Writes through a temporary file and a rename, so readers never see half a file.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(randomSuffix())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { throw CredentialError.io("cannot write \(path)") }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CredentialError.io("cannot write \(path)")
        }
    }
}
