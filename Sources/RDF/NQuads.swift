import Foundation
/// An RDF term: an IRI, a blank node (by its label, without `_:`) or a literal.
public enum RDFTerm: Hashable, Sendable {
    case iri(String)
    case blank(String)
    /// A literal with its datatype IRI (`xsd:string` when it has none and no language) or its language tag
    /// (then the datatype is `rdf:langString`).
    case literal(String, datatype: String, language: String?)

    public static let xsdString = "http://www.w3.org/2001/XMLSchema#string"
    public static let rdfLangString = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

    public var blankLabel: String? {
        if case .blank(let label) = self { label } else { nil }
    }

    /// Whether the term is a blank node (told without copying its label).
    public var isBlank: Bool {
        if case .blank = self { true } else { false }
    }
}

/// A quad: a triple and the graph it is in (nil: the default graph).
public struct Quad: Hashable, Sendable {
    public var subject: RDFTerm
    public var predicate: RDFTerm
    public var object: RDFTerm
    public var graph: RDFTerm?

    public init(_ subject: RDFTerm, _ predicate: RDFTerm, _ object: RDFTerm, _ graph: RDFTerm? = nil) {
        self.subject = subject
        self.predicate = predicate
        self.object = object
        self.graph = graph
    }
}

/// Why an N-Quads document could not be read: the line and what was wrong.
public struct NQuadsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// N-Quads (RDF 1.1) reading, and writing in the canonical form of RDF 1.2 N-Quads that RDFC-1.0 uses.
public enum NQuads {
    // MARK: Writing

    /// Code point order of UTF-8 lines (the order of canonical N-Quads): byte order, by memcmp.
    public static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let common = min(a.count, b.count)
        let order = a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common) } }
        return order != 0 ? order < 0 : a.count < b.count
    }

    /// One quad as a canonical N-Quads line, with its final newline.
    public static func line(_ quad: Quad) -> String {
        var bytes: [UInt8] = []
        write(quad, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One quad as a canonical N-Quads line (UTF-8), with its final newline, appended to `bytes`.
    public static func write(_ quad: Quad, into bytes: inout [UInt8]) {
        write(quad.subject, quad.predicate, quad.object, quad.graph, into: &bytes)
    }

    /// The quad of these terms as a canonical N-Quads line, appended to `bytes`.
    static func write(_ subject: RDFTerm, _ predicate: RDFTerm, _ object: RDFTerm, _ graph: RDFTerm?, into bytes: inout [UInt8]) {
        write(subject, into: &bytes)
        bytes.append(0x20)
        write(predicate, into: &bytes)
        bytes.append(0x20)
        write(object, into: &bytes)
        if let graph {
            bytes.append(0x20)
            write(graph, into: &bytes)
        }
        bytes.append(contentsOf: [0x20, UInt8(ascii: "."), 0x0A])
    }

    /// A term in canonical form: IRIs as they are; literals with `\b \t \n \f \r \" \\` and the other
    /// control characters (U+0000–U+001F, U+007F) as `\uXXXX` with upper-case digits.
    public static func write(_ term: RDFTerm, into bytes: inout [UInt8]) {
        switch term {
        case .iri(let iri):
            bytes.append(UInt8(ascii: "<"))
            bytes.append(contentsOf: iri.utf8)
            bytes.append(UInt8(ascii: ">"))
        case .blank(let label):
            bytes.append(contentsOf: [UInt8(ascii: "_"), UInt8(ascii: ":")])
            bytes.append(contentsOf: label.utf8)
        case .literal(let value, let datatype, let language):
            bytes.append(UInt8(ascii: "\""))
            writeLiteralText(value, into: &bytes)
            bytes.append(UInt8(ascii: "\""))
            if let language {
                bytes.append(UInt8(ascii: "@"))
                bytes.append(contentsOf: language.utf8)
            } else if datatype != RDFTerm.xsdString {
                bytes.append(contentsOf: [UInt8(ascii: "^"), UInt8(ascii: "^"), UInt8(ascii: "<")])
                bytes.append(contentsOf: datatype.utf8)
                bytes.append(UInt8(ascii: ">"))
            }
        }
    }

    /// A literal's text between its quotes: `\b \t \n \f \r \" \\` and the other control characters
    /// (U+0000–U+001F, U+007F) as `\uXXXX` with upper-case digits.
    public static func writeLiteralText(_ value: String, into bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { text in
            // Runs of bytes that need no escape are copied whole.
            var run = 0
            for index in text.indices {
                let byte = text[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
                if run < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<index])) }
                run = index + 1
                switch byte {
                case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                default:
                    // A control character: \u00XX with upper-case hex digits.
                    let digits = Array("0123456789ABCDEF".utf8)
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
                }
            }
            if run < text.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[run...])) }
        }
    }

    // MARK: Reading

    /// Reads an N-Quads document (comments and blank lines allowed; `\u`/`\U` escapes in IRIs and
    /// literals, ECHAR escapes in literals).
    public static func parse(_ document: String) throws(NQuadsError) -> [Quad] {
        var quads: [Quad] = []
        var number = 0
        for line in document.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            number += 1
            var reader = LineReader(Array(line.unicodeScalars), line: number)
            reader.skipSpace()
            if reader.atEnd || reader.peek == "#" { continue }
            let subject = try reader.term()
            if case .literal = subject { throw reader.error("a subject cannot be a literal") }
            quads.append(try reader.rest(subject))
        }
        return quads
    }

    private struct LineReader {
        let scalars: [Unicode.Scalar]
        var index = 0
        let line: Int

        init(_ scalars: [Unicode.Scalar], line: Int) {
            self.scalars = scalars
            self.line = line
        }

        var atEnd: Bool { index >= scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }

        func error(_ message: String) -> NQuadsError { NQuadsError(line: line, message: message) }

        mutating func skipSpace() {
            while let scalar = peek, scalar == " " || scalar == "\t" { index += 1 }
        }

        /// The rest of a quad after its subject.
        mutating func rest(_ subject: RDFTerm) throws(NQuadsError) -> Quad {
            skipSpace()
            let predicate = try term()
            guard case .iri = predicate else { throw error("a predicate must be an IRI") }
            skipSpace()
            let object = try term()
            skipSpace()
            var graph: RDFTerm?
            if peek != "." {
                graph = try term()
                if case .literal = graph { throw error("a graph name cannot be a literal") }
                skipSpace()
            }
            guard peek == "." else { throw error("expected \".\" at the end of the statement") }
            index += 1
            skipSpace()
            if let scalar = peek, scalar != "#" { throw error("unexpected text after \".\"") }
            return Quad(subject, predicate, object, graph)
        }

        mutating func term() throws(NQuadsError) -> RDFTerm {
            switch peek {
            case "<": return .iri(try iri())
            case "_":
                index += 1
                guard peek == ":" else { throw error("expected \"_:\"") }
                index += 1
                let start = index
                while let scalar = peek, !(scalar == " " || scalar == "\t" || scalar == "<" || scalar == "\"") {
                    // A label may contain dots, but not end with one.
                    if scalar == ".", index + 1 >= scalars.count || scalars[index + 1] == " " || scalars[index + 1] == "\t" { break }
                    index += 1
                }
                // "_:a.." is the label "a" and a dot too many, not the label "a.".
                while index > start, scalars[index - 1] == "." { index -= 1 }
                guard index > start else { throw error("an empty blank node label") }
                return .blank(String(String.UnicodeScalarView(scalars[start..<index])))
            case "\"":
                index += 1
                var value = String.UnicodeScalarView()
                while true {
                    guard let scalar = peek else { throw error("an unterminated literal") }
                    index += 1
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        value.append(try escape(inIRI: false))
                    } else {
                        value.append(scalar)
                    }
                }
                if peek == "@" {
                    index += 1
                    let start = index
                    while let scalar = peek, scalar.properties.isAlphabetic || scalar == "-" || ("0"..."9").contains(scalar) { index += 1 }
                    guard index > start else { throw error("an empty language tag") }
                    return .literal(String(value), datatype: RDFTerm.rdfLangString, language: String(String.UnicodeScalarView(scalars[start..<index])))
                }
                if peek == "^" {
                    index += 1
                    guard peek == "^" else { throw error("expected \"^^\"") }
                    index += 1
                    return .literal(String(value), datatype: try iri(), language: nil)
                }
                return .literal(String(value), datatype: RDFTerm.xsdString, language: nil)
            default:
                throw error("expected an IRI, a blank node or a literal")
            }
        }

        mutating func iri() throws(NQuadsError) -> String {
            guard peek == "<" else { throw error("expected \"<\"") }
            index += 1
            var value = String.UnicodeScalarView()
            while true {
                guard let scalar = peek else { throw error("an unterminated IRI") }
                index += 1
                if scalar == ">" { break }
                // An escape may not stand for what the IRI could not hold as it is (so that what is read
                // can be written back as it is, as canonical N-Quads are).
                let character = scalar == "\\" ? try escape(inIRI: true) : scalar
                guard Self.allowedInIRI(character) else { throw error("a character an IRI cannot hold") }
                value.append(character)
            }
            return String(value)
        }

        /// Whether an IRI may hold a character (N-Quads' IRIREF: no controls, space, <>"{}|^`\\).
        static func allowedInIRI(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value > 0x20 && !"<>\"{}|^`\\".unicodeScalars.contains(scalar)
        }

        /// The scalar an escape (after its backslash) stands for.
        mutating func escape(inIRI: Bool) throws(NQuadsError) -> Unicode.Scalar {
            guard let kind = peek else { throw error("an escape at the end of the line") }
            index += 1
            switch kind {
            case "u", "U":
                let count = kind == "u" ? 4 : 8
                guard index + count <= scalars.count,
                    let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + count])), radix: 16),
                    let scalar = Unicode.Scalar(value)
                else { throw error("a bad \\\(kind) escape") }
                index += count
                return scalar
            case "t" where !inIRI: return "\t"
            case "b" where !inIRI: return "\u{8}"
            case "n" where !inIRI: return "\n"
            case "r" where !inIRI: return "\r"
            case "f" where !inIRI: return "\u{C}"
            case "\"" where !inIRI: return "\""
            case "'" where !inIRI: return "'"
            case "\\" where !inIRI: return "\\"
            default: throw error("an unknown escape \\\(kind)")
            }
        }
    }
}
