public import Basics
public import Definitions
public import Evaluation
public import Foundation

/// Everything a verifier needs, as static files whose ids are URLs under the base URL (see ``PublishLayout``).
public struct CredentialPublisher: Sendable {
    public let compiled: CompiledDefinitions
    public let keys: KeyStore
    public let layout: PublishLayout
    public let issuer: Issuer
    public var language: Language = .fi

    public init(compiled: CompiledDefinitions, keys: KeyStore, baseURL: String? = nil) throws {
        guard let issuer = compiled.definitions.issuers.first else {
            throw CredentialError.invalidInput("the definitions have no <issuer>; add issuer.xml before publishing")
        }
        self.compiled = compiled
        self.keys = keys
        self.issuer = issuer
        self.layout = PublishLayout(baseURL: baseURL ?? issuer.baseURL, issuerID: issuer.id)
    }

    /// A revoked credential as the publisher needs it: its id only. Public documents never carry the
    /// reason, which is free text staff wrote and may describe the client; it stays with the staff.
    public struct RevokedEntry: Sendable {
        public var id: String
        public init(id: String) {
            self.id = id
        }
    }

    /// A hosted OB 2.0 assertion to publish: its path and exact bytes, or its revocation.
    public struct HostedAssertion: Sendable {
        public var id: String
        public var path: String
        public var bytes: [UInt8]
        public init(id: String, path: String, bytes: [UInt8]) {
            self.id = id
            self.path = path
            self.bytes = bytes
        }
    }

    /// One public document: where it goes under the base URL and its exact bytes.
    public struct Document: Sendable {
        public var path: String
        public var bytes: Data
    }

    /// Writes every public document into `directory`; returns the relative paths written.
    @discardableResult
    public func publish(to directory: String, revoked: [RevokedEntry], hosted: [HostedAssertion], status: StatusListState? = nil) throws -> [String] {
        let documents = try documents(revoked: revoked, hosted: hosted) + (status.map(statusLists) ?? [])
        for document in documents {
            let full = directory + "/" + document.path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try KeyStore.writeAtomically(document.bytes, to: full)
        }
        return documents.map(\.path)
    }

    /// Every public document, in the order `publish` writes them: what a server hosts is these very bytes.
    public func documents(revoked: [RevokedEntry], hosted: [HostedAssertion]) throws -> [Document] {
        try lastingDocuments() + revocationLists(revoked) + hostedAssertions(hosted, revoked: revoked)
    }

    /// The documents that change only with the definitions and the keys: issuer profiles, achievements,
    /// badge classes, images and keys.
    public func lastingDocuments() throws -> [Document] {
        var written: [Document] = []
        func write(_ path: String, _ data: Data) throws { written.append(Document(path: path, bytes: data)) }
        func write(_ path: String, _ document: JSONValue) throws { try write(path, document.prettyJSONData()) }

        let ob3 = OpenBadgeCredentialBuilder(layout: layout, issuer: issuer, language: language)
        let ob2 = OB2DocumentBuilder(layout: layout, issuer: issuer, language: language)
        var profile = ob3.profile()
        if case .object(var fields) = profile {
            fields["@context"] = OpenBadgeCredentialBuilder.contexts
            profile = .object(fields)
        }
        try write(layout.issuerProfilePath, profile)

        let allKeys = try keys.list()
        let rsaKeys = allKeys.filter { $0.algorithm == .rs256 }
        let currentRSA = rsaKeys.last(where: \.isActive) ?? rsaKeys.last
        try write(layout.ob2IssuerPath, ob2.issuerProfile(currentKey: currentRSA?.kid))

        for badge in compiled.definitions.badges {
            let facts = try BadgeFacts(badge: badge, result: nil, compiled: compiled, language: language)
            let imageExtension = URL(fileURLWithPath: badge.imagePath).pathExtension.lowercased()
            var achievement = ob3.achievement(facts, imageExtension: imageExtension)
            if case .object(var fields) = achievement {
                fields["@context"] = OpenBadgeCredentialBuilder.contexts
                achievement = .object(fields)
            }
            try write(layout.achievementPath(badge.id), achievement)
            try write(layout.badgeClassPath(badge.id), ob2.badgeClass(facts, imageExtension: imageExtension))
            guard let image = FileManager.default.contents(atPath: badge.imagePath) else {
                throw CredentialError.io("cannot read the image of badge \(badge.id) (\(badge.imageSource))")
            }
            try write(layout.imagePath(badge.id, fileExtension: imageExtension), image)
        }

        var jwks: [JSONValue] = []
        for key in allKeys {
            try write(layout.jwkPath(key.kid), key.publicJWK)
            jwks.append(key.publicJWK)
            if key.algorithm == .rs256 {
                try write(layout.cryptographicKeyPath(key.kid), ob2.cryptographicKey(kid: key.kid, publicPEM: key.publicPEM))
            }
        }
        try write(layout.jwksPath, .object(["keys": .array(jwks)]))
        try write(layout.wellKnownJWKSPath, .object(["keys": .array(jwks)]))
        if let did = didDocument(allKeys) { try write(layout.didDocumentPath, did) }
        return written
    }

    /// The issuer's did:web document: every Ed25519 key, retired ones too (so that old credentials stay
    /// verifiable), as a Multikey verification method for assertions; nil when there is no Ed25519 key.
    func didDocument(_ keys: [StoredKey]) -> JSONValue? {
        let methods: [JSONValue] = keys.compactMap { key in
            guard let raw = key.ed25519PublicKey else { return nil }
            return .object([
                "id": .string(layout.verificationMethod(key.kid)), "type": "Multikey", "controller": .string(layout.did),
                "publicKeyMultibase": .string(Multibase.ed25519PublicKey(raw)),
            ])
        }
        guard !methods.isEmpty else { return nil }
        return .object([
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": .string(layout.did),
            "verificationMethod": .array(methods),
            "assertionMethod": .array(keys.filter { $0.ed25519PublicKey != nil }.map { .string(layout.verificationMethod($0.kid)) }),
        ])
    }

    /// The 1EdTech revocation list (OB 3.0) and the OB 2.0 RevocationList.
    public func revocationLists(_ revoked: [RevokedEntry]) throws -> [Document] {
        let ob2 = OB2DocumentBuilder(layout: layout, issuer: issuer, language: language)
        let list = JSONValue.object([
            "id": .string(layout.revocationList),
            "issuer": .string(layout.issuerProfile),
            "revokedCredential": .array(
                revoked.map { .object(["id": .string($0.id), "revoked": true]) }),
        ])
        return [
            Document(path: layout.revocationListPath, bytes: list.prettyJSONData()),
            Document(path: layout.ob2RevocationListPath, bytes: ob2.revocationList(revoked.map(\.id)).prettyJSONData()),
        ]
    }

    /// Hosted OB 2.0 assertions: each as issued, or, once revoked, what its URL then answers with.
    public func hostedAssertions(_ hosted: [HostedAssertion], revoked: [RevokedEntry]) throws -> [Document] {
        let revokedIDs = Set(revoked.map(\.id))
        return try hosted.map { assertion in
            if revokedIDs.contains(assertion.id) {
                return Document(path: assertion.path, bytes: try Self.revokedAssertion(id: assertion.id))
            }
            return Document(path: assertion.path, bytes: Data(assertion.bytes))
        }
    }

    /// What a revoked hosted OB 2.0 assertion's URL answers with (beside `410 Gone` when served): the
    /// assertion's id and `revoked`, as a JSON-LD document (OB 2.0, "Revocation"); never the reason.
    public static func revokedAssertion(id: String) throws -> Data {
        JSONValue.object([
            "@context": OB2DocumentBuilder.context, "type": "Assertion", "id": .string(id), "revoked": true,
        ]).prettyJSONData()
    }
}
