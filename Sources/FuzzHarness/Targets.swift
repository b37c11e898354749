import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import JSONLD
import MerkistoCore
import RDF
import Storage

enum DefinitionsTarget {
    /// Documents separated by NUL bytes (which XML never contains), loaded as one set.
    static func run(_ bytes: [UInt8]) throws {
        let parts = bytes.split(separator: 0, maxSplits: 7, omittingEmptySubsequences: false).map(Array.init)
        let documents = parts.enumerated().map { (bytes: $0.element, display: "fuzz-\($0.offset).xml") }
        let result = DefinitionLoader.load(documents: documents, directory: Fixtures.definitionsDirectory + "/badges")
        let lines = Dictionary(uniqueKeysWithValues: documents.map { ($0.display, $0.bytes.count(where: { $0 == 0x0A }) + 1) })
        for diagnostic in result.diagnostics {
            let location = diagnostic.location
            guard let count = lines[location.file] else {
                throw FuzzTarget.definitions.finding("a diagnostic names a file that was not loaded: \(diagnostic)")
            }
            // Line 0 means the file as a whole; otherwise the line is one of the document's.
            guard location.line >= 0, location.line <= count, location.column >= 0 else {
                throw FuzzTarget.definitions.finding("a diagnostic points outside its document (\(count) lines): \(diagnostic)")
            }
            guard !diagnostic.message.isEmpty else { throw FuzzTarget.definitions.finding("a diagnostic says nothing: \(diagnostic)") }
        }
    }
}

enum ClientRecordTarget {
    static let reader = ClientRecordReader(definitions: Fixtures.compiled)
    static var evaluator: Evaluator { Evaluator(Fixtures.compiled) }

    static func run(_ bytes: [UInt8]) throws {
        let record: ClientRecord
        do {
            record = try reader.read(Data(bytes))
        } catch {
            guard !error.errors.isEmpty, error.errors.allSatisfy({ !$0.message.isEmpty }) else {
                throw FuzzTarget.clientRecord.finding("a record was refused without saying why")
            }
            return
        }
        _ = evaluator.evaluate(record, at: Fixtures.now)
    }
}

enum JWSTarget {
    static func run(_ bytes: [UInt8]) async throws {
        // The reader with the C skipper answers as the reader alone: the same value, the same word on the
        // keys, the same error (decision 0014).
        for selection in [JSONSelection.all, .keys(["k": .all]), .keys(["@context": .all, "credentialSubject": .keys(["id": .all])])] {
            func reading(fast: Bool) -> String {
                do {
                    let (value, plain) = try JSONBytes.parseNotingKeys(bytes, keeping: selection, fastSkip: fast)
                    return "\(plain) \(value.jsonBytes())"
                } catch {
                    return "\(error)"
                }
            }
            guard reading(fast: true) == reading(fast: false) else {
                throw FuzzTarget.jws.finding("the C skipper and the Swift reader read this differently: \(String(decoding: bytes.prefix(300), as: UTF8.self))")
            }
        }
        if let value = try? StrictJSON.read(bytes) {
            let written = value.jsonBytes()
            guard let again = try? StrictJSON.read(written) else {
                throw FuzzTarget.jws.finding("what the reader accepted was written as something it refuses: \(String(decoding: written, as: UTF8.self))")
            }
            guard sameJSON(again, value) else { throw FuzzTarget.jws.finding("a value written and read back changed") }
            guard let pretty = try? StrictJSON.read(value.prettyJSONBytes()), sameJSON(pretty, value) else {
                throw FuzzTarget.jws.finding("a value written with indentation reads back differently")
            }
        }
        let world = try await Fixtures.world()
        let report = try await world.service.verify(bytes)
        let trimmed = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // A compact JWS verifies only as it was issued (modulo the white space the verifier trims): any
        // other bytes change the signing input or the signature. (A JSON document may be laid out anew.)
        if report.failures.isEmpty, !trimmed.hasPrefix("{"), !world.credentials.contains(where: { $0.bytes == Array(trimmed.utf8) }) {
            throw FuzzTarget.jws.finding("a compact JWS that was never issued verified: \(trimmed.prefix(200))")
        }
    }
}

/// Equal as JSON: numbers by value (JSON does not tell 0.0 from 0; the writer writes a whole double as an
/// integer, as JavaScript does).
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
    default: return a == b
    }
}

enum JSONLDTarget {
    static let processor = JSONLDProcessor(loader: .bundled)

    static func run(_ bytes: [UInt8]) throws {
        guard let document = try? StrictJSON.read(bytes) else { return }
        guard let quads = try? processor.toRDF(document) else { return }
        // The walk straight to statements, where it takes the document, says what full processing says.
        let full: [Quad]
        do { full = try processor.fullRDF(document) } catch {
            throw FuzzTarget.jsonld.finding("toRDF took a document that full processing refuses (\(error))")
        }
        if let fast = try? RDFCanonicalizer().canonicalNQuads(quads), let slow = try? RDFCanonicalizer().canonicalNQuads(full), fast != slow {
            throw FuzzTarget.jsonld.finding("toRDF and full processing give different statements: \(fast.prefix(300)) / \(slow.prefix(300))")
        }
        try NQuadsTarget.canonicalize(quads, target: .jsonld)
    }
}

enum NQuadsTarget {
    static func run(_ bytes: [UInt8]) throws {
        guard let text = String(validating: bytes, as: UTF8.self), let quads = try? NQuads.parse(text) else { return }
        let written = quads.map { NQuads.line($0) + "\n" }.joined()
        guard let again = try? NQuads.parse(written) else {
            throw FuzzTarget.nquads.finding("quads that were read were written as something the reader refuses: \(written.prefix(300))")
        }
        guard again == quads else { throw FuzzTarget.nquads.finding("quads written and read back changed: \(written.prefix(300))") }
        try canonicalize(quads, target: .nquads)
    }

    /// Canonicalizes (within the canonicalizer's work limit); the canonical form reads back and is its own
    /// canonical form. (JSON-LD may make IRIs with characters N-Quads does not allow, such as `}`; they are
    /// written as they are, as the reference implementations do, and such a form is not read back.)
    static func canonicalize(_ quads: [Quad], target: FuzzTarget) throws {
        let canonicalizer = RDFCanonicalizer()
        guard let canonical = try? canonicalizer.canonicalNQuads(quads) else { return }
        guard let read = try? NQuads.parse(canonical) else {
            if target == .jsonld { return }
            throw target.finding("the canonical N-Quads do not read back: \(canonical.prefix(300))")
        }
        guard Set(read).count == Set(quads).count else {
            throw target.finding("canonicalization changed the number of distinct quads")
        }
        guard let twice = try? canonicalizer.canonicalNQuads(read), twice == canonical else {
            throw target.finding("canonicalizing the canonical form gave something else")
        }
    }
}

enum UnbakerTarget {
    static let credential = "eyJhbGciOiJFUzI1NiJ9.eyJ2YyI6e319.c2lnbmF0dXJl"

    static func run(_ bytes: [UInt8]) throws {
        // Chunk checksums are set right too, or mutated PNGs would stop at the first checksum.
        let image = Data(bytes)
        _ = try? Baker.unbake(image)
        _ = try? Baker.unbake(Data(PNGBytes.withChecksumsSet(bytes)))
        guard let baked = try? Baker.bake(credential, into: image) else { return }
        let unbaked: String?
        do {
            unbaked = try Baker.unbake(baked)
        } catch {
            throw FuzzTarget.unbaker.finding("a baked image does not unbake: \(error)")
        }
        guard unbaked == credential else {
            throw FuzzTarget.unbaker.finding("a baked image unbakes to \(unbaked.map { String($0.prefix(100)) } ?? "nothing")")
        }
    }
}

/// PNG chunks, for seeds and for setting the checksums of mutated PNGs.
enum PNGBytes {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        bigEndian(UInt32(data.count)) + Array(type.utf8) + data + bigEndian(crc32(Array(type.utf8) + data))
    }

    /// A 4 × 4 RGBA image (stored, not compressed).
    static func tiny() -> [UInt8] {
        let raw: [UInt8] = (0..<4).flatMap { _ in [0] + Array(repeating: [20, 80, 160, 255], count: 4).flatMap { $0 } }
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let length = UInt16(raw.count)
        let zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + raw + bigEndian(b << 16 | a)
        return signature + chunk("IHDR", bigEndian(4) + bigEndian(4) + [8, 6, 0, 0, 0]) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    /// `bytes` with the checksum of every whole chunk set to what it should be.
    static func withChecksumsSet(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.starts(with: signature) else { return bytes }
        var output = bytes
        var offset = signature.count
        while offset + 12 <= output.count {
            let length = Int(output[offset]) << 24 | Int(output[offset + 1]) << 16 | Int(output[offset + 2]) << 8 | Int(output[offset + 3])
            guard offset + 12 + length <= output.count else { break }
            let crc = bigEndian(crc32(output[(offset + 4)..<(offset + 8 + length)]))
            output.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: crc)
            offset += 12 + length
        }
        return output
    }
}
