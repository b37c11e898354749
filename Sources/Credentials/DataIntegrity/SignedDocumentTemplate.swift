import Basics
import Crypto
import JSONLD
import RDF

#if canImport(Glibc)
import Glibc
#endif

/// A JSON-LD document with a marker in each place that changes per credential (a slot), turned once into
/// its JSON text and its RDF statements, so that each credential only fills in values: the JSON-LD
/// processing that the values cannot change is done once per badge, not once per credential.
///
/// A marker is a whole JSON string, `merkisto-slot:\u{1}N`: an absolute IRI where the contexts take an
/// IRI, a plain or typed literal elsewhere, and never text that definitions can hold (XML cannot hold
/// U+0001). A slot's value replaces the marker's term in every statement it is in, which gives the very
/// statements that processing the filled-in document would give, as long as each value is what the slot's
/// place takes (an absolute IRI for an id, a date and time for a date); tests check this against the
/// JSON-LD processor for the credentials Merkisto makes.
struct SignedDocumentTemplate: Sendable {
    static let markerPrefix = "merkisto-slot:\u{1}"

    static func marker(_ slot: Int) -> String { markerPrefix + String(slot) }

    /// The slot of a marker, or nil when the text is not one.
    static func slot(_ text: String) -> Int? {
        guard text.hasPrefix(markerPrefix) else { return nil }
        return Int(text.dropFirst(markerPrefix.count))
    }

    enum JSONPiece: Sendable {
        case fixed([UInt8])
        case slot(Int)
    }

    enum Term: Sendable {
        case fixed(RDFTerm)
        case iri(slot: Int)
        case literal(slot: Int, datatype: String, language: String?)

        init(_ term: RDFTerm) {
            switch term {
            case .iri(let iri):
                if let slot = SignedDocumentTemplate.slot(iri) { self = .iri(slot: slot) } else { self = .fixed(term) }
            case .literal(let value, let datatype, let language):
                if let slot = SignedDocumentTemplate.slot(value) {
                    self = .literal(slot: slot, datatype: datatype, language: language)
                } else {
                    self = .fixed(term)
                }
            case .blank:
                self = .fixed(term)
            }
        }

        func filled(_ values: [String]) -> RDFTerm {
            switch self {
            case .fixed(let term): term
            case .iri(let slot): .iri(values[slot])
            case .literal(let slot, let datatype, let language): .literal(values[slot], datatype: datatype, language: language)
            }
        }
    }

    struct TemplateQuad: Sendable {
        var subject: Term
        var predicate: RDFTerm
        var object: Term
        var graph: Term?
    }

    /// A piece of a statement's N-Quads line: fixed text, a slot's value, or a blank node (by number).
    enum LinePiece: Sendable {
        case text([UInt8])
        case slot(Int, literal: Bool)
        case blank(Int)
    }

    let json: [JSONPiece]
    let statements: [TemplateQuad]
    /// Each statement as the pieces of its N-Quads line.
    let lines: [[LinePiece]]
    /// The blank nodes' labels as the JSON-LD processor gave them, and for each the statements it is in.
    let blankLabels: [String]
    let statementsOfBlank: [[Int]]
    /// The lines again, flat, for writing them without reference counting: every fixed text in one
    /// buffer, each piece a plain value, each line a range of pieces.
    private let flat: FlatLines
    /// By blank node: its first-degree hash when none of its statements holds a slot (the same in every
    /// credential), else nil.
    private let constantFirstDegree: [Digest?]
    /// The lines that are the same in every credential (no slot, no blank node), sorted, each once, and the
    /// SHA-256 state after each run of them from the start (see ``canonicalHash``).
    private let fixed: FixedLines
    /// The slot the document's `proof` goes in (JSON only: the proof is not part of what it signs).
    let proofSlot: Int
    /// The slots the values must fill.
    private let usedSlots: [Int]

    /// - Parameters:
    ///   - document: the document with markers, without `proof`.
    ///   - proofSlot: a slot number no marker in `document` uses; the JSON text gets `proof` there.
    init(_ document: [String: JSONValue], proofSlot: Int) throws {
        let quads = try JSONLDProcessor(loader: .bundled).toRDF(.object(document))
        statements = quads.map { quad in
            TemplateQuad(subject: Term(quad.subject), predicate: quad.predicate, object: Term(quad.object), graph: quad.graph.map(Term.init))
        }
        var blankLabels: [String] = []
        var blankNumbers: [String: Int] = [:]
        var statementsOfBlank: [[Int]] = []
        var lines: [[LinePiece]] = []
        for (index, statement) in statements.enumerated() {
            var pieces: [LinePiece] = []
            var text: [UInt8] = []
            func flush() {
                if !text.isEmpty { pieces.append(.text(text)) }
                text.removeAll()
            }
            for (position, term) in [statement.subject, .fixed(statement.predicate), statement.object, statement.graph].enumerated() {
                guard let term else { continue }
                if position > 0 { text.append(0x20) }
                switch term {
                case .fixed(.blank(let label)):
                    let number = blankNumbers[label] ?? {
                        blankLabels.append(label)
                        statementsOfBlank.append([])
                        blankNumbers[label] = blankLabels.count - 1
                        return blankLabels.count - 1
                    }()
                    if statementsOfBlank[number].last != index { statementsOfBlank[number].append(index) }
                    flush()
                    pieces.append(.blank(number))
                case .fixed(let fixed):
                    NQuads.write(fixed, into: &text)
                case .iri(let slot):
                    text.append(UInt8(ascii: "<"))
                    flush()
                    pieces.append(.slot(slot, literal: false))
                    text.append(UInt8(ascii: ">"))
                case .literal(let slot, let datatype, let language):
                    // The literal's text around its value, written by the N-Quads writer itself.
                    var around: [UInt8] = []
                    NQuads.write(.literal("", datatype: datatype, language: language), into: &around)
                    text.append(around[0])
                    flush()
                    pieces.append(.slot(slot, literal: true))
                    text.append(contentsOf: around[1...])
                }
            }
            text.append(contentsOf: [0x20, UInt8(ascii: "."), 0x0A])
            flush()
            lines.append(pieces)
        }
        self.lines = lines
        flat = FlatLines(lines)
        fixed = FixedLines(flat)
        let flat = flat
        constantFirstDegree = statementsOfBlank.indices.map { node in
            let indexes = statementsOfBlank[node]
            guard indexes.allSatisfy({ flat.pieces[flat.lineRanges[$0]].allSatisfy { $0.kind != FlatLines.slot } }) else { return nil }
            return Self.firstDegreeHash(node, indexes, flat: flat, values: UnsafeBufferPointer(start: nil, count: 0), valueRanges: [])
        }
        self.blankLabels = blankLabels
        self.statementsOfBlank = statementsOfBlank
        var withProof = document
        withProof["proof"] = .string(Self.marker(proofSlot))
        json = try Self.pieces(JSONValue.object(withProof).jsonBytes())
        self.proofSlot = proofSlot
        usedSlots = Self.usedSlots(json: json, lines: lines, proofSlot: proofSlot)
    }

    /// The JSON text split at each marker string (quotes included).
    private static func pieces(_ text: [UInt8]) throws -> [JSONPiece] {
        let (fixed, slots) = try TemplateMarkers.split(text, prefix: Array("\"merkisto-slot:\\u0001".utf8))
        var pieces: [JSONPiece] = []
        for (index, text) in fixed.enumerated() {
            pieces.append(.fixed(text))
            if index < slots.count { pieces.append(.slot(slots[index])) }
        }
        return pieces
    }

    /// Every slot the statements or the JSON text use, but the proof's.
    private static func usedSlots(json: [JSONPiece], lines: [[LinePiece]], proofSlot: Int) -> [Int] {
        var used = Set<Int>()
        for piece in json { if case .slot(let slot) = piece, slot != proofSlot { used.insert(slot) } }
        for pieces in lines { for piece in pieces { if case .slot(let slot, _) = piece { used.insert(slot) } } }
        return used.sorted()
    }

    /// The values by slot, every slot the document uses filled (others may be nil).
    ///
    /// - Throws: ``CredentialError`` when a slot the document uses has no value: nothing is signed with a
    ///   hole in it.
    private func filled(_ values: [String?]) throws -> [String] {
        if let slot = TemplateMarkers.unfilled(usedSlots, values.count, isEmpty: { values[$0] == nil }) {
            throw CredentialError.invalidInput("the document template's slot \(slot) has no value")
        }
        return values.map { $0 ?? "" }
    }

    /// The canonical N-Quads (RDFC-1.0) of the statements with each slot's value filled in.
    ///
    /// The common case is worked out here from the line pieces: when every blank node's first-degree hash
    /// differs from every other's, the canonical labels follow from those hashes alone. Otherwise (blank
    /// nodes that only their neighbours tell apart, or statements a value made equal) the general
    /// canonicalizer does it.
    func canonicalNQuads(_ values: [String?]) throws -> [UInt8] {
        var document: [UInt8] = []
        let done = try canonicalLines(values, skippingFixed: { _ in 0 }) { line in document.append(contentsOf: line) }
        guard done else { return try RDFCanonicalizer().canonicalNQuadsBytes(quads(try filled(values))) }
        return document
    }

    /// SHA-256 of ``canonicalNQuads(_:)``, what a proof signs. The sorted document starts with the fixed
    /// lines that sort before every line of this credential's own; the hash state after them was made with
    /// the template, so only the rest is hashed here (about two thirds of a credential's N-Quads are the
    /// badge's own lines).
    func canonicalHash(_ values: [String?]) throws -> [UInt8] {
        var hasher = SHA256()
        // The rest in one buffer, hashed in one call (a call per line costs more than the copy).
        var rest: [UInt8] = []
        rest.reserveCapacity(16384)
        let done = try canonicalLines(values, skippingFixed: { leading in
            hasher = fixed.hashers[leading]
            return leading
        }) { line in rest.append(contentsOf: line) }
        guard done else { return Array(SHA256.hash(data: try RDFCanonicalizer().canonicalNQuadsBytes(quads(try filled(values))))) }
        hasher.update(data: rest)
        return Array(hasher.finalize())
    }

    /// Gives the canonical N-Quads lines in order to `body`; false when the general canonicalizer must do it
    /// (look-alike blank nodes, or two statements the values made equal). `skippingFixed` is told how many
    /// fixed lines lead the document and answers how many of them not to give.
    private func canonicalLines(
        _ values: [String?], skippingFixed: (Int) -> Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) throws -> Bool {
        let values = try filled(values)
        // Each slot's value as it appears in a line (an IRI as it is, a literal escaped), in one buffer.
        var valueBytes: [UInt8] = []
        var valueRanges = [Range<Int>?](repeating: nil, count: values.count)
        for piece in flat.pieces where piece.kind == FlatLines.slot && valueRanges[Int(piece.first)] == nil {
            let slot = Int(piece.first)
            let start = valueBytes.count
            if piece.second != 0 {
                NQuads.writeLiteralText(values[slot], into: &valueBytes)
            } else {
                valueBytes.append(contentsOf: values[slot].utf8)
            }
            valueRanges[slot] = start..<valueBytes.count
        }
        let blanks = blankLabels.count
        // One label per node once they are known.
        var labelBytes: [UInt8] = []
        var labelRanges = [Range<Int>](repeating: 0..<0, count: blanks)
        return valueBytes.withUnsafeBufferPointer { valueBuffer -> Bool in
            // Hash First Degree Quads for each blank node: its lines with itself as _:a, others as _:z.
            var hashes: [(digest: Digest, node: Int)] = []
            hashes.reserveCapacity(blanks)
            for (node, indexes) in statementsOfBlank.enumerated() {
                // The hex of the digest orders as the digest does.
                hashes.append(
                    (constantFirstDegree[node] ?? Self.firstDegreeHash(node, indexes, flat: flat, values: valueBuffer, valueRanges: valueRanges), node))
            }
            hashes.sort { $0.digest < $1.digest }
            for index in hashes.indices.dropFirst() where hashes[index].digest == hashes[index - 1].digest { return false }
            for (order, entry) in hashes.enumerated() {
                let start = labelBytes.count
                labelBytes.append(contentsOf: [UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "c"), 0x31, 0x34, UInt8(ascii: "n")])
                Self.appendDecimal(order, to: &labelBytes)
                labelRanges[entry.node] = start..<labelBytes.count
            }
            // This credential's own lines, sorted, merged with the fixed lines (sorted once).
            var own = LineBuffer()
            labelBytes.withUnsafeBufferPointer { labels in
                for index in 0..<flat.lineCount where !fixed.isFixed[index] {
                    flat.write(line: index, into: &own, values: valueBuffer, valueRanges: valueRanges) { UnsafeBufferPointer(rebasing: labels[labelRanges[$0]]) }
                }
            }
            return own.sorted { ownLines in
                fixed.bytes.withUnsafeBufferPointer { fixedBytes in
                    fixed.merge(ownLines, fixedBytes: fixedBytes, skipping: skippingFixed, body)
                }
            }
        }
    }

    /// Hash First Degree Quads (RDFC-1.0, 4.6) of a blank node: its lines with itself as `_:a` and every other
    /// blank node as `_:z`, sorted.
    private static func firstDegreeHash(
        _ node: Int, _ indexes: [Int], flat: FlatLines, values: UnsafeBufferPointer<UInt8>, valueRanges: [Range<Int>?]
    ) -> Digest {
        var scratch = LineBuffer()
        let labels: StaticString = "_:a_:z"
        let labelBuffer = UnsafeBufferPointer(start: labels.utf8Start, count: labels.utf8CodeUnitCount)
        for index in indexes {
            flat.write(line: index, into: &scratch, values: values, valueRanges: valueRanges) { blank in
                UnsafeBufferPointer(rebasing: labelBuffer[blank == node ? 0..<3 : 3..<6])
            }
        }
        var sorted: [UInt8] = []
        sorted.reserveCapacity(scratch.bytes.count)
        scratch.sortedLines { sorted.append(contentsOf: $0) }
        return Digest(SHA256.hash(data: sorted))
    }

    /// A SHA-256 digest as four big-endian words: compared as its bytes (and as its hex) are, without an array.
    struct Digest: Sendable, Equatable, Comparable {
        var words: (UInt64, UInt64, UInt64, UInt64)

        init(_ digest: SHA256Digest) {
            words = digest.withUnsafeBytes { raw in
                (
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                )
            }
        }

        static func == (a: Digest, b: Digest) -> Bool { a.words == b.words }
        static func < (a: Digest, b: Digest) -> Bool { a.words < b.words }
    }

    /// The decimal digits of a non-negative number.
    static func appendDecimal(_ number: Int, to bytes: inout [UInt8]) {
        if number >= 10 { appendDecimal(number / 10, to: &bytes) }
        bytes.append(UInt8(ascii: "0") + UInt8(number % 10))
    }

    /// The statements with each slot's value filled in (values by slot; the proof slot is not read).
    func quads(_ values: [String]) -> [Quad] {
        statements.map { statement in
            Quad(statement.subject.filled(values), statement.predicate, statement.object.filled(values), statement.graph?.filled(values))
        }
    }

    /// The JSON text with each slot's value as a JSON string, and `proof` (JSON text) in its slot.
    func json(_ values: [String?], proof: [UInt8]) throws -> [UInt8] {
        let values = try filled(values)
        var output: [UInt8] = []
        output.reserveCapacity(8192)
        for piece in json {
            switch piece {
            case .fixed(let bytes): output.append(contentsOf: bytes)
            case .slot(let slot) where slot == proofSlot: output.append(contentsOf: proof)
            case .slot(let slot): JSONValue.writeString(values[slot], into: &output)
            }
        }
        return output
    }
}

/// A template's N-Quads lines as plain values: the pieces of all lines in one array, their fixed text in
/// one buffer.
struct FlatLines: Sendable {
    static let text: UInt8 = 0, slot: UInt8 = 1, blank: UInt8 = 2

    /// Text: `first..<second` of `text`; slot: slot `first`, a literal when `second` is 1; blank: node `first`.
    struct Piece: Sendable {
        var kind: UInt8
        var first: Int32
        var second: Int32
    }

    let pieces: [Piece]
    /// Each line's pieces, as a range of `pieces`.
    let lineRanges: [Range<Int>]
    let text: [UInt8]

    var lineCount: Int { lineRanges.count }

    init(_ lines: [[SignedDocumentTemplate.LinePiece]]) {
        var pieces: [Piece] = []
        var ranges: [Range<Int>] = []
        var text: [UInt8] = []
        for line in lines {
            let start = pieces.count
            for piece in line {
                switch piece {
                case .text(let bytes):
                    pieces.append(Piece(kind: Self.text, first: Int32(text.count), second: Int32(text.count + bytes.count)))
                    text.append(contentsOf: bytes)
                case .slot(let slot, let literal): pieces.append(Piece(kind: Self.slot, first: Int32(slot), second: literal ? 1 : 0))
                case .blank(let number): pieces.append(Piece(kind: Self.blank, first: Int32(number), second: 0))
                }
            }
            ranges.append(start..<pieces.count)
        }
        self.pieces = pieces
        self.lineRanges = ranges
        self.text = text
    }

    /// Appends line `index` to `buffer`, with the slots' values and each blank node's label.
    func write(
        line index: Int, into buffer: inout LineBuffer, values: UnsafeBufferPointer<UInt8>, valueRanges: [Range<Int>?],
        label: (Int) -> UnsafeBufferPointer<UInt8>
    ) {
        let start = buffer.bytes.count
        text.withUnsafeBufferPointer { text in
            pieces.withUnsafeBufferPointer { pieces in
                for position in lineRanges[index] {
                    let piece = pieces[position]
                    switch piece.kind {
                    case Self.text: buffer.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[Int(piece.first)..<Int(piece.second)]))
                    case Self.slot: buffer.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: values[valueRanges[Int(piece.first)]!]))
                    default: buffer.bytes.append(contentsOf: label(Int(piece.first)))
                    }
                }
            }
        }
        buffer.lines.append(start..<buffer.bytes.count)
    }
}

/// A template's fixed lines (no slot, no blank node): the same text in every credential, so sorted once,
/// with the SHA-256 state after each run of them from the first.
struct FixedLines: Sendable {
    /// By the template's line number: whether the line is fixed.
    let isFixed: [Bool]
    let bytes: [UInt8]
    /// The fixed lines in code point order, each once (a dataset is a set).
    let sorted: [Range<Int>]
    /// `hashers[k]`: SHA-256 after the first `k` sorted fixed lines.
    let hashers: [SHA256]

    init(_ flat: FlatLines) {
        var isFixed: [Bool] = []
        var buffer = LineBuffer()
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        for index in 0..<flat.lineCount {
            let plain = flat.pieces[flat.lineRanges[index]].allSatisfy { $0.kind == FlatLines.text }
            isFixed.append(plain)
            if plain { flat.write(line: index, into: &buffer, values: empty, valueRanges: []) { _ in empty } }
        }
        var bytes: [UInt8] = []
        var sorted: [Range<Int>] = []
        var hashers = [SHA256()]
        var hasher = SHA256()
        buffer.sortedLines { line in
            if let last = sorted.last, bytes[last].elementsEqual(line) { return }
            let start = bytes.count
            bytes.append(contentsOf: line)
            sorted.append(start..<bytes.count)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(line))
            hashers.append(hasher)
        }
        self.isFixed = isFixed
        self.bytes = bytes
        self.sorted = sorted
        self.hashers = hashers
    }

    /// Gives the fixed lines and `own` (sorted) to `body` in code point order, but for the leading fixed
    /// lines `skipping` declines (it is told how many fixed lines come before the first of `own`). False when
    /// two lines are equal (statements the values made equal: the general canonicalizer knows what to do).
    func merge(
        _ own: [UnsafeBufferPointer<UInt8>], fixedBytes: UnsafeBufferPointer<UInt8>, skipping: (Int) -> Int,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Bool {
        func line(_ index: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: fixedBytes[sorted[index]]) }
        // How many fixed lines sort before the first own line (binary search).
        var leading = sorted.count
        if let first = own.first {
            var low = 0, high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if LineBuffer.precedes(line(middle), first) { low = middle + 1 } else { high = middle }
            }
            leading = low
        }
        var next = skipping(leading)
        for index in next..<leading { body(line(index)) }
        next = leading
        var previous: UnsafeBufferPointer<UInt8>? = leading > 0 ? line(leading - 1) : nil
        var ownIndex = 0
        while ownIndex < own.count || next < sorted.count {
            let take: UnsafeBufferPointer<UInt8>
            if ownIndex < own.count, next == sorted.count || LineBuffer.precedes(own[ownIndex], line(next)) {
                take = own[ownIndex]
                ownIndex += 1
            } else {
                take = line(next)
                next += 1
            }
            if let previous, LineBuffer.equal(previous, take) { return false }
            body(take)
            previous = take
        }
        return true
    }
}

/// Lines written one after another into one buffer, each a range of it.
struct LineBuffer {
    var bytes: [UInt8] = []
    var lines: [Range<Int>] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with each line in code point (byte) order.
    mutating func sortedLines(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        sorted { lines in for line in lines { body(line) } }
    }

    /// Calls `body` with the lines in code point (byte) order.
    mutating func sorted<Result>(_ body: ([UnsafeBufferPointer<UInt8>]) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { bytes in
            // Sorted by their first eight bytes as a big-endian number first (most pairs differ there), by
            // memcmp only when those are equal.
            var keyed = lines.map { range -> (key: UInt64, line: UnsafeBufferPointer<UInt8>) in
                let line = UnsafeBufferPointer(rebasing: bytes[range])
                var key: UInt64 = 0
                for index in 0..<8 { key = key << 8 | UInt64(index < line.count ? line[index] : 0) }
                return (key, line)
            }
            keyed.sort { a, b in a.key != b.key ? a.key < b.key : Self.precedes(a.line, b.line) }
            return body(keyed.map(\.line))
        }
    }

    /// Code point order of two lines: byte order, by memcmp.
    static func precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(a.count, b.count)
        let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
        return order != 0 ? order < 0 : a.count < b.count
    }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
}
