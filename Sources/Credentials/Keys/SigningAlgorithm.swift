/// The signature algorithms Merkisto issues with.
public enum SigningAlgorithm: String, Sendable, CaseIterable, Codable {
    /// ECDSA P-256 with SHA-256: the default for OB 3.0 VC-JWT.
    case es256 = "ES256"
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA-2048): required for OB 2.0 signed assertions.
    case rs256 = "RS256"
    /// Ed25519.
    case edDSA = "EdDSA"

    /// Case-insensitive parse of `ES256`, `RS256`, `EdDSA`.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }
}
