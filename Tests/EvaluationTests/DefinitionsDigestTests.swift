import Basics
import Crypto
import Definitions
import Foundation
import Testing

@testable import Evaluation

@Suite("The definitions digest")
struct DefinitionsDigestTests {
    @Test("our JSON writer and Hex give the digest Foundation's JSONEncoder (sorted keys) and String(format:) give")
    func sameAsFoundation() throws {
        for definitions in [Fixture.shipped.definitions, Fixture.compiled.definitions] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(DefinitionsDigest.canonicalForm(definitions))
            #expect(Array(data) == DefinitionsDigest.canonicalForm(definitions).jsonBytes())
            let expected = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            #expect(DefinitionsDigest.compute(definitions) == expected)
        }
    }
}
