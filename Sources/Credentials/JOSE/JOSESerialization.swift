import Evaluation
import Foundation
import JWTKit

/// One JSON configuration for every signed document: sorted keys, unescaped slashes.
enum JOSESerialization {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let serializer = DefaultJWTSerializer(jsonEncoder: encoder)
}

/// A JWS payload that is a whole JSON document: the OB 3.0 credential with its JWT claims, or the
/// OB 2.0 assertion itself. Claims are checked by ``CredentialVerifier``, not here.
struct DocumentPayload: JWTPayload {
    var document: JSONValue

    init(_ document: JSONValue) { self.document = document }

    init(from decoder: any Decoder) throws {
        document = try JSONValue(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
