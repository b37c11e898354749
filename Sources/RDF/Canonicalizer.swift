import Basics
import Crypto
import Foundation

/// Why a dataset could not be canonicalized.
public struct CanonicalizationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation, 21 May 2024) with SHA-256: canonical blank
/// node labels (`c14n0`, `c14n1`, …) and the canonical N-Quads of a dataset.
///
/// The algorithm can take exponential time on datasets built for it ("poison graphs"): `workLimit` bounds
/// the calls of Hash N-Degree Quads, and a dataset that needs more is refused with a clear error.
public struct RDFCanonicalizer: Sendable {
    /// The hash function of the algorithm: SHA-256 (the default, and what `eddsa-rdfc-2022` uses) or SHA-384.
    public enum HashAlgorithm: String, Sendable {
        case sha256 = "SHA256"
        case sha384 = "SHA384"
    }

    /// The most steps (Hash N-Degree Quads calls and permutations tried) one canonicalization may take.
    public var workLimit: Int
    public var hashAlgorithm: HashAlgorithm

    public init(hashAlgorithm: HashAlgorithm = .sha256, workLimit: Int = 50_000) {
        self.hashAlgorithm = hashAlgorithm
        self.workLimit = workLimit
    }

    /// The canonical dataset and the issued identifiers map (input blank node label → canonical label).
    /// A dataset is a set: a quad given twice counts once (as when the reference implementations read
    /// N-Quads), so that the same dataset always has the same canonical form.
    public func canonicalize(_ quads: [Quad]) throws(CanonicalizationError) -> (quads: [Quad], issued: [String: String]) {
        var seen = Set<Quad>(minimumCapacity: quads.count)
        return try relabel(quads.filter { seen.insert($0).inserted })
    }

    /// The quads with canonical blank node labels, duplicates kept (a quad given twice is counted once in
    /// the hashes all the same: `State` keeps each blank node's quads without duplicates).
    func relabel(_ quads: [Quad]) throws(CanonicalizationError) -> (quads: [Quad], issued: [String: String]) {
        var state = State(quads: quads, workLimit: workLimit, hashAlgorithm: hashAlgorithm)
        try state.run()
        guard !state.canonical.issued.isEmpty else { return (quads, [:]) }
        let relabeled = quads.map { quad in
            Quad(
                state.relabel(quad.subject), quad.predicate, state.relabel(quad.object), quad.graph.map { state.relabel($0) })
        }
        return (relabeled, state.canonical.issued)
    }

    /// The canonical N-Quads document: the canonical quads, one per line, sorted by code point, without
    /// duplicates.
    public func canonicalNQuads(_ quads: [Quad]) throws(CanonicalizationError) -> String {
        String(decoding: try canonicalNQuadsBytes(quads), as: UTF8.self)
    }

    /// The canonical N-Quads document as UTF-8 bytes (what a proof hashes).
    public func canonicalNQuadsBytes(_ quads: [Quad]) throws(CanonicalizationError) -> [UInt8] {
        var state = State(quads: quads, workLimit: workLimit, hashAlgorithm: hashAlgorithm)
        try state.run()
        // Every line into one buffer, then sorted as ranges of it; duplicates are dropped from the sorted
        // lines, not by hashing every quad first.
        var lines = Lines(capacity: quads.count)
        quads.withUnsafeBufferPointer { quads in
            // Read in place, by index (a quad is too large to copy for a look).
            for index in quads.indices {
                lines.add(
                    state.relabel(quads[index].subject), quads[index].predicate, state.relabel(quads[index].object),
                    quads[index].graph.map { state.relabel($0) })
            }
        }
        return lines.sortedDocument(distinct: true)
    }

    /// N-Quads lines written one after another into one buffer, and put in code point order as ranges of it.
    struct Lines {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []

        init(capacity: Int) {
            bytes.reserveCapacity(capacity * 160)
            ranges.reserveCapacity(capacity)
        }

        mutating func add(_ subject: RDFTerm, _ predicate: RDFTerm, _ object: RDFTerm, _ graph: RDFTerm?) {
            let start = bytes.count
            NQuads.write(subject, predicate, object, graph, into: &bytes)
            ranges.append(start..<bytes.count)
        }

        /// The lines sorted by code point (byte order) as one document; `distinct`: a line written twice once.
        func sortedDocument(distinct: Bool) -> [UInt8] {
            guard !ranges.isEmpty else { return [] }
            return bytes.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                func precedes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
                    let order = memcmp(base + a.lowerBound, base + b.lowerBound, min(a.count, b.count))
                    return order != 0 ? order < 0 : a.count < b.count
                }
                let sorted = ranges.sorted(by: precedes)
                var document: [UInt8] = []
                document.reserveCapacity(buffer.count)
                for (index, range) in sorted.enumerated() {
                    if distinct, index > 0, sorted[index - 1].count == range.count, memcmp(base + sorted[index - 1].lowerBound, base + range.lowerBound, range.count) == 0 {
                        continue
                    }
                    document.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[range]))
                }
                return document
            }
        }
    }

    /// Issues identifiers with a prefix and a counter, remembering the order it issued them in.
    struct IdentifierIssuer {
        let prefix: String
        var counter = 0
        var issued: [String: String] = [:]
        var order: [String] = []

        init(prefix: String) { self.prefix = prefix }

        mutating func issue(_ existing: String) -> String {
            if let known = issued[existing] { return known }
            let new = prefix + String(counter)
            counter += 1
            issued[existing] = new
            order.append(existing)
            return new
        }
    }

    struct State {
        let quads: [Quad]
        let workLimit: Int
        var work = 0
        /// Blank node label → the quads it is in.
        var quadsOf: [String: [Quad]] = [:]
        var canonical = IdentifierIssuer(prefix: "c14n")
        /// First-degree hashes, made once per blank node.
        var firstDegree: [String: String] = [:]

        let hashAlgorithm: HashAlgorithm

        init(quads: [Quad], workLimit: Int, hashAlgorithm: HashAlgorithm) {
            self.quads = quads
            self.workLimit = workLimit
            self.hashAlgorithm = hashAlgorithm
        }

        func relabel(_ term: RDFTerm) -> RDFTerm {
            guard case .blank(let label) = term, let new = canonical.issued[label] else { return term }
            return .blank(new)
        }

        mutating func run() throws(CanonicalizationError) {
            // A blank node's quads, each once: a linear look while they are few (cheaper than hashing), a
            // set beside the list once they are many.
            var many: [String: Set<Quad>] = [:]
            func note(_ term: RDFTerm?, _ quad: Quad) {
                guard case .blank(let label)? = term else { return }
                if !many.isEmpty, var seen = many.removeValue(forKey: label) {
                    if seen.insert(quad).inserted { quadsOf[label]!.append(quad) }
                    many[label] = seen
                    return
                }
                if quadsOf[label, default: []].appendUnlessPresent(quad) > 16 { many[label] = Set(quadsOf[label]!) }
            }
            // Most quads have no blank node: they are told apart without copying them.
            quads.withUnsafeBufferPointer { quads in
                for index in quads.indices where quads[index].subject.isBlank || quads[index].object.isBlank || quads[index].graph?.isBlank == true {
                    let quad = quads[index]
                    note(quad.subject, quad)
                    note(quad.object, quad)
                    note(quad.graph, quad)
                }
            }
            // Step 3–4: first-degree hashes; unique ones are issued at once, in hash order.
            var nodesOf: [String: [String]] = [:]
            for label in quadsOf.keys { nodesOf[hashFirstDegree(label), default: []].append(label) }
            var shared: [(String, [String])] = []
            for hash in nodesOf.keys.sorted(by: Self.codePointOrder) {
                let labels = nodesOf[hash]!
                if labels.count == 1 {
                    _ = canonical.issue(labels[0])
                } else {
                    shared.append((hash, labels))
                }
            }
            // Step 5: the rest, by their n-degree hashes.
            for (_, labels) in shared {
                var results: [(hash: String, issuer: IdentifierIssuer)] = []
                for label in labels where canonical.issued[label] == nil {
                    var temporary = IdentifierIssuer(prefix: "b")
                    _ = temporary.issue(label)
                    results.append(try hashNDegree(label, issuer: temporary))
                }
                for result in results.sorted(by: { Self.codePointOrder($0.hash, $1.hash) }) {
                    for existing in result.issuer.order { _ = canonical.issue(existing) }
                }
            }
        }

        static func codePointOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

        /// The hash of a text in lower-case hex.
        func hash(_ text: String) -> String { hash(bytes: Array(text.utf8)) }

        func hash(bytes: [UInt8]) -> String {
            switch hashAlgorithm {
            case .sha256: Self.hex(SHA256.hash(data: bytes))
            case .sha384: Self.hex(SHA384.hash(data: bytes))
            }
        }

        static func hex(_ digest: some Sequence<UInt8>) -> String { Hex.encode(digest) }

        /// Hash First Degree Quads (4.6).
        mutating func hashFirstDegree(_ label: String) -> String {
            if let known = firstDegree[label] { return known }
            func mask(_ term: RDFTerm) -> RDFTerm {
                guard let other = term.blankLabel else { return term }
                return .blank(other == label ? "a" : "z")
            }
            // Every line, even where two quads mask to the same line.
            let own = quadsOf[label] ?? []
            var lines = Lines(capacity: own.count)
            for quad in own { lines.add(mask(quad.subject), quad.predicate, mask(quad.object), quad.graph.map(mask)) }
            let hash = hash(bytes: lines.sortedDocument(distinct: false))
            firstDegree[label] = hash
            return hash
        }

        /// Hash Related Blank Node (4.7).
        mutating func hashRelated(_ related: String, quad: Quad, issuer: IdentifierIssuer, position: String) -> String {
            var input = position
            if position != "g", case .iri(let predicate) = quad.predicate { input += "<" + predicate + ">" }
            if let id = canonical.issued[related] {
                input += "_:" + id
            } else if let id = issuer.issued[related] {
                input += "_:" + id
            } else {
                input += hashFirstDegree(related)
            }
            return hash(input)
        }

        /// Hash N-Degree Quads (4.8).
        mutating func hashNDegree(_ label: String, issuer start: IdentifierIssuer) throws(CanonicalizationError) -> (hash: String, issuer: IdentifierIssuer) {
            try step()
            var issuer = start
            var related: [String: [String]] = [:]
            for quad in quadsOf[label] ?? [] {
                for (term, position) in [(quad.subject, "s"), (quad.object, "o"), (quad.graph, "g")] {
                    guard let other = term?.blankLabel, other != label else { continue }
                    related[hashRelated(other, quad: quad, issuer: issuer, position: position), default: []].append(other)
                }
            }
            var data = ""
            for hash in related.keys.sorted(by: Self.codePointOrder) {
                data += hash
                var chosenPath = ""
                var chosenIssuer: IdentifierIssuer?
                for permutation in Permutations(related[hash]!) {
                    try step()
                    var copy = issuer
                    var path = ""
                    var recursion: [String] = []
                    var skip = false
                    for node in permutation {
                        if let id = canonical.issued[node] {
                            path += "_:" + id
                        } else {
                            if copy.issued[node] == nil { recursion.append(node) }
                            path += "_:" + copy.issue(node)
                        }
                        if !chosenPath.isEmpty, path.utf8.count >= chosenPath.utf8.count, Self.codePointOrder(chosenPath, path) {
                            skip = true
                            break
                        }
                    }
                    if skip { continue }
                    for node in recursion {
                        let result = try hashNDegree(node, issuer: copy)
                        path += "_:" + copy.issue(node)
                        path += "<" + result.hash + ">"
                        copy = result.issuer
                        if !chosenPath.isEmpty, path.utf8.count >= chosenPath.utf8.count, Self.codePointOrder(chosenPath, path) {
                            skip = true
                            break
                        }
                    }
                    if skip { continue }
                    if chosenPath.isEmpty || Self.codePointOrder(path, chosenPath) {
                        chosenPath = path
                        chosenIssuer = copy
                    }
                }
                data += chosenPath
                if let chosenIssuer { issuer = chosenIssuer }
            }
            return (hash(data), issuer)
        }

        /// Counts a step of the work (a call, or a permutation tried) and refuses past the limit.
        mutating func step() throws(CanonicalizationError) {
            work += 1
            guard work <= workLimit else {
                throw CanonicalizationError(
                    message: "the dataset needs more than \(workLimit) steps of Hash N-Degree Quads to canonicalize (its blank nodes are too alike); it is refused")
            }
        }
    }

    /// Every order of some items, one at a time, in the order the reference implementations (rdf-canonize,
    /// pyld) try them: from the sorted list, by the Steinhaus–Johnson–Trotter algorithm, each distinct
    /// label with one direction. When two orders give the same path, the first one's identifiers are kept:
    /// trying them in the same order keeps even such ties the same as theirs.
    struct Permutations: Sequence, IteratorProtocol {
        var items: [String]
        /// Whether each label looks to its left.
        var left: [String: Bool]
        var done = false

        init(_ items: [String]) {
            self.items = items.sorted(by: State.codePointOrder)
            left = Dictionary(items.map { ($0, true) }, uniquingKeysWith: { first, _ in first })
        }

        mutating func next() -> [String]? {
            guard !done else { return nil }
            let current = items
            // The largest mobile label: greater than the neighbour it looks at.
            var mobile: (label: String, position: Int)?
            for (index, label) in items.enumerated() {
                let looksLeft = left[label] ?? true
                let neighbour = looksLeft ? index - 1 : index + 1
                guard neighbour >= 0, neighbour < items.count, State.codePointOrder(items[neighbour], label) else { continue }
                if let found = mobile, !State.codePointOrder(found.label, label) { continue }
                mobile = (label, index)
            }
            if let (label, position) = mobile {
                items.swapAt(position, (left[label] ?? true) ? position - 1 : position + 1)
                for other in left.keys where State.codePointOrder(label, other) { left[other]?.toggle() }
            } else {
                done = true
            }
            return current
        }
    }
}

extension Array where Element == Quad {
    /// Appends the quad unless it is there already; the count after.
    fileprivate mutating func appendUnlessPresent(_ quad: Quad) -> Int {
        if !contains(quad) { append(quad) }
        return count
    }
}
