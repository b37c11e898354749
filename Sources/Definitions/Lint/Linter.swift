import Basics
import Foundation

/// The checks that need the whole definition set: references, duplicates, levels, counts, cycles,
/// reachability and files on disk. Each check emits diagnostics with a stable code and a fix.
struct Linter {
    let definitions: DefinitionSet
    private var diagnostics = DiagnosticCollector()
    private let frameworks: [String: Framework]
    private let instruments: [String: Instrument]
    /// Each framework's competence codes and level values, by where the framework is written (a second
    /// framework with the same id has its own): looked up for every criterion (finding them in the
    /// framework's arrays copied each competence or level it passed).
    private let competenceCodes: [SourceLocation: Set<String>]
    private let levelValues: [SourceLocation: Set<Int>]
    /// Each badge id's first place in `definitions.badges`.
    private let badges: [String: Int]
    /// The badges each badge depends on through `<badge ref>` criteria, by place, with where each is named.
    private var dependencies: [Int: [(target: Int, location: SourceLocation)]] = [:]
    /// The best instrument for a competence at an evidence level, once worked out.
    private var bestInstruments: [InstrumentQuestion: (id: String, maximumLevel: Int)?] = [:]
    /// The badge ids as characters, once an unknown badge has asked for suggestions.
    private var knownBadgeIDCharacters: [(text: String, characters: [Character])]?

    init(_ definitions: DefinitionSet) {
        self.definitions = definitions
        frameworks = Dictionary(definitions.frameworks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        instruments = Dictionary(definitions.instruments.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        badges = Dictionary(definitions.badges.indices.map { (definitions.badges[$0].id, $0) }, uniquingKeysWith: { first, _ in first })
        competenceCodes = Dictionary(
            definitions.frameworks.map { ($0.location, Set($0.competences.map(\.code))) }, uniquingKeysWith: { first, _ in first })
        levelValues = Dictionary(definitions.frameworks.map { ($0.location, Set($0.levels.map(\.value))) }, uniquingKeysWith: { first, _ in first })
    }

    consuming func run() -> [Diagnostic] {
        checkUnique(definitions.frameworks, "framework", id: \.id, location: \.location)
        checkUnique(definitions.instruments, "instrument", id: \.id, location: \.location)
        checkUnique(definitions.badges, "badge", id: \.id, location: \.location)
        checkUnique(definitions.issuers, "issuer", id: \.id, location: \.location)
        checkUnique(definitions.pathways, "pathway", id: \.id, location: \.location)
        for framework in definitions.frameworks { check(framework) }
        for instrument in definitions.instruments { check(instrument) }
        for index in definitions.badges.indices { check(definitions.badges[index], at: index) }
        checkBadgeCycles()
        for issuer in definitions.issuers { check(issuer) }
        for pathway in definitions.pathways { check(pathway) }
        return diagnostics.diagnostics
    }

    // MARK: Duplicates

    /// Reports every element whose id repeats an earlier one, pointing at the first.
    private mutating func checkUnique<T>(
        _ elements: [T], _ what: String, id: (T) -> String, location: (T) -> SourceLocation
    ) {
        var first: [String: SourceLocation] = [:]
        for element in elements {
            let key = id(element)
            if let earlier = first[key] {
                diagnostics.error(
                    .duplicateID,
                    "\(what) \"\(key)\" is defined twice (first at \(earlier)); give each \(what) its own id.",
                    at: location(element))
            } else {
                first[key] = location(element)
            }
        }
    }

    // MARK: Framework

    private mutating func check(_ framework: Framework) {
        checkUnique(framework.levels, "level", id: { String($0.value) }, location: \.location)
        checkUnique(framework.areas, "area", id: \.code, location: \.location)
        checkUnique(framework.competences, "competence", id: \.code, location: \.location)
        checkUnique(framework.baselines, "baseline", id: \.id, location: \.location)
        for area in framework.areas {
            for competence in area.competences where competence.areaCode != area.code {
                diagnostics.error(
                    .competenceOutsideArea,
                    "competence \(competence.code) is inside area \(area.code); its code must start with \"\(area.code).\" or it belongs in area \(competence.areaCode).",
                    at: competence.location)
            }
        }
        for baseline in framework.baselines {
            checkUnique(baseline.requirements, "requirement for competence", id: \.competence, location: \.location)
            for requirement in baseline.requirements {
                guard checkCompetence(requirement.competence, in: framework, at: requirement.location),
                    checkLevel(requirement.level, in: framework, attribute: "level", at: requirement.location)
                else { continue }
                checkInstrumentsReach(
                    competence: requirement.competence, level: requirement.level, evidence: requirement.evidence,
                    framework: framework, at: requirement.location)
            }
        }
    }

    // MARK: Instrument

    private mutating func check(_ instrument: Instrument) {
        checkUnique(instrument.scales, "scale", id: \.id, location: \.location)
        checkUnique(instrument.items, "item", id: \.id, location: \.location)
        checkUnique(instrument.levelCuts, "level cut at min-percent", id: { String($0.minPercent) }, location: \.location)
        for scale in instrument.scales {
            checkUnique(scale.options, "option value", id: { String($0.value) }, location: \.location)
            if Set(scale.options.map(\.value)).count < 2 {
                diagnostics.error(
                    .scaleTooSmall, "scale \"\(scale.id)\" needs at least two options with different values to score answers.",
                    at: scale.location)
            }
        }
        let framework = frameworks[instrument.framework]
        if framework == nil {
            diagnostics.error(
                .unknownFramework,
                "instrument \"\(instrument.id)\" names framework \"\(instrument.framework)\", which is not loaded; check the id or load the framework file too.",
                at: instrument.location)
        }
        for item in instrument.items {
            if let framework { checkCompetence(item.competence, in: framework, at: item.location) }
            guard let scale = instrument.scale(item.scale) else {
                diagnostics.error(
                    .unknownScale,
                    "item \"\(item.id)\" uses scale \"\(item.scale)\", which this instrument does not define; known scales: \(list(instrument.scales.map(\.id))).",
                    at: item.location)
                continue
            }
            switch (item.kind, item.correct) {
            case (.knowledge, nil):
                diagnostics.error(
                    .correctAnswer, "knowledge item \"\(item.id)\" needs correct=\"VALUE\", the option value of the right answer.",
                    at: item.location)
            case (.knowledge, let correct?) where scale.option(correct) == nil:
                diagnostics.error(
                    .correctAnswer,
                    "correct=\"\(correct)\" of item \"\(item.id)\" is not an option of scale \"\(scale.id)\"; use one of \(list(scale.options.map { String($0.value) })).",
                    at: item.location)
            case (.skill, _?), (.attitude, _?):
                diagnostics.error(
                    .correctAnswer,
                    "\(item.kind.rawValue) item \"\(item.id)\" has a correct answer; only knowledge items have one. Remove correct= or set kind=\"knowledge\".",
                    at: item.location)
            default:
                break
            }
        }
        var previous: Instrument.LevelCut?
        for cut in instrument.levelCuts.sorted(by: { $0.minPercent < $1.minPercent }) {
            if let framework { checkLevel(cut.level, in: framework, attribute: "level", at: cut.location) }
            if let previous, cut.level <= previous.level {
                diagnostics.error(
                    .levelCuts,
                    "the cut at \(cut.minPercent) % gives level \(cut.level), not higher than level \(previous.level) at \(previous.minPercent) %; a higher percent must give a higher level.",
                    at: cut.location)
            }
            previous = cut
        }
    }

    // MARK: Badge

    /// What one loader worker has found out about image files (many badges share one image): whether each
    /// exists, and the first eight bytes of each PNG (nil: it cannot be read).
    struct ImageFiles {
        var exists: [String: Bool] = [:]
        var pngHeads: [String: [UInt8]?] = [:]
    }

    /// The checks of a badge that need no other definition (its image, its words), made while its file is
    /// built, on the loader's worker threads; `images` remembers what the image files were found to be.
    static func checkOnItsOwn(_ badge: Badge, images: inout ImageFiles, into diagnostics: inout DiagnosticCollector) {
        let exists: Bool
        if let known = images.exists[badge.imagePath] {
            exists = known
        } else {
            exists = access(badge.imagePath, F_OK) == 0
            images.exists[badge.imagePath] = exists
        }
        if !exists {
            diagnostics.error(
                .missingImage,
                "image \"\(badge.imageSource)\" does not exist (looked for \(badge.imagePath)); add the file or fix src (it is relative to the badge file).",
                at: badge.imageLocation)
        }
        if let png = badge.pngPath, let source = badge.pngSource {
            // A PNG starts with its eight-byte signature.
            let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            let head: [UInt8]?
            if let known = images.pngHeads[png] {
                head = known
            } else {
                head = FileHandle(forReadingAtPath: png).map { handle in
                    defer { try? handle.close() }
                    return [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
                }
                images.pngHeads[png] = .some(head)
            }
            if head != signature {
                diagnostics.error(
                    .missingImage,
                    head == nil
                        ? "png image \"\(source)\" does not exist (looked for \(png)); add the file or fix png (it is relative to the badge file)."
                        : "png image \"\(source)\" is not a PNG file; make it one or remove png.",
                    at: badge.imageLocation)
            }
        }
        // The owner's name is made only for a warning, from the id alone (a closure holding the badge copied
        // all of it for every text).
        let id = badge.id
        checkNeutral(badge.name, "name", of: "badge \"\(id)\"", at: badge.location, into: &diagnostics)
        checkNeutral(badge.description, "description", of: "badge \"\(id)\"", at: badge.location, into: &diagnostics)
        if let narrative = badge.narrative {
            checkNeutral(narrative, "narrative", of: "badge \"\(id)\"", at: badge.location, into: &diagnostics)
        }
    }

    private mutating func check(_ badge: Badge, at index: Int) {
        let nodes = badge.criteria.allNodes
        // The badges it depends on, for the cycle check (once per id: the first badge with it counts).
        if badges[badge.id] == index {
            for node in nodes {
                if case .badge(let id) = node.expression, let target = badges[id] {
                    dependencies[index, default: []].append((target, node.location))
                }
            }
        }
        guard let framework = frameworks[badge.framework] else {
            diagnostics.error(
                .unknownFramework,
                "badge \"\(badge.id)\" names framework \"\(badge.framework)\", which is not loaded; check the id or load the framework file too.",
                at: badge.location)
            return
        }
        for node in nodes {
            check(node, of: badge, in: framework)
        }
    }

    private mutating func check(_ node: Criterion, of badge: Badge, in framework: Framework) {
        let location = node.location
        switch node.expression {
        case .allOf, .anyOf:
            break
        case .atLeast(let count, let children):
            if count > children.count {
                diagnostics.error(
                    .countTooLarge,
                    "<at-least count=\"\(count)\"> has only \(children.count) children, so it can never hold; lower count or add criteria.",
                    at: location)
            }
        case .competence(let code, let minLevel, let evidence):
            guard checkCompetence(code, in: framework, at: location),
                checkLevel(minLevel, in: framework, attribute: "min-level", at: location)
            else { return }
            checkInstrumentsReach(competence: code, level: minLevel, evidence: evidence, framework: framework, at: location)
        case .area(let code, let minLevel, let count, _):
            guard let area = framework.area(code) else {
                diagnostics.error(
                    .unknownArea, "area \"\(code)\" is not in framework \"\(framework.id)\"; known areas: \(list(framework.areas.map(\.code))).",
                    at: location)
                return
            }
            checkLevel(minLevel, in: framework, attribute: "min-level", at: location)
            if let count, count > area.competences.count {
                diagnostics.error(
                    .countTooLarge,
                    "count=\"\(count)\" but area \(code) has only \(area.competences.count) competences; lower count.",
                    at: location)
            }
        case .baseline(let id, let areaCode, _):
            guard let baseline = framework.baseline(id) else {
                diagnostics.error(
                    .unknownBaseline,
                    "baseline \"\(id)\" is not in framework \"\(framework.id)\"; known baselines: \(list(framework.baselines.map(\.id))).",
                    at: location)
                return
            }
            if let areaCode {
                if framework.area(areaCode) == nil {
                    diagnostics.error(
                        .unknownArea,
                        "area \"\(areaCode)\" is not in framework \"\(framework.id)\"; known areas: \(list(framework.areas.map(\.code))).",
                        at: location)
                } else if !baseline.requirements.contains(where: { $0.competence.hasPrefix(areaCode + ".") }) {
                    diagnostics.warning(
                        .vacuousCriterion,
                        "baseline \"\(id)\" has no requirements in area \(areaCode), so this criterion always holds; remove it or pick another area.",
                        at: location)
                }
            }
        case .item(let instrumentID, let itemID, let condition):
            checkItem(instrumentID: instrumentID, itemID: itemID, condition: condition, at: location)
        case .badge(let id):
            if badges[id] == nil {
                diagnostics.error(
                    .unknownBadge, "badge \"\(id)\" is not defined; check the id or load its file too.\(suggestion(for: id, among: badgeIDCharacters()))",
                    at: location)
            }
        case .attestation:
            break
        }
    }

    private mutating func checkItem(instrumentID: String, itemID: String, condition: Criterion.ItemCondition, at location: SourceLocation) {
        guard let instrument = instruments[instrumentID] else {
            diagnostics.error(
                .unknownInstrument,
                "instrument \"\(instrumentID)\" is not defined; known instruments: \(list(definitions.instruments.map(\.id))).",
                at: location)
            return
        }
        guard let item = instrument.item(itemID) else {
            diagnostics.error(
                .unknownItem,
                "instrument \"\(instrumentID)\" has no item \"\(itemID)\".\(suggestion(for: itemID, among: instrument.items.map(\.id)))",
                at: location)
            return
        }
        guard let scale = instrument.scale(item.scale) else { return }  // reported on the instrument
        switch condition {
        case .minValue(let minimum):
            if minimum > scale.highestValue {
                diagnostics.error(
                    .unreachableCriterion,
                    "min-value=\"\(minimum)\" is above the highest option (\(scale.highestValue)) of scale \"\(scale.id)\", so no answer can meet it.",
                    at: location)
            } else if minimum <= scale.lowestValue {
                diagnostics.warning(
                    .vacuousCriterion,
                    "min-value=\"\(minimum)\" is at or below the lowest option (\(scale.lowestValue)), so any answer meets it; raise min-value.",
                    at: location)
            }
        case .correct:
            if item.kind != .knowledge || item.correct == nil {
                diagnostics.error(
                    .unreachableCriterion,
                    "item \"\(itemID)\" is a \(item.kind.rawValue) item without a correct answer, so correct=\"true\" can never hold; use min-value instead.",
                    at: location)
            }
        }
    }

    /// A question `checkInstrumentsReach` answers once per definition set.
    private struct InstrumentQuestion: Hashable {
        var framework: String
        var competence: String
        var evidence: Evidence
    }

    /// Warns when instruments giving the required evidence assess a competence but none can reach the level.
    private mutating func checkInstrumentsReach(
        competence: String, level: Int, evidence: Evidence, framework: Framework, at location: SourceLocation
    ) {
        let question = InstrumentQuestion(framework: framework.id, competence: competence, evidence: evidence)
        let best: (id: String, maximumLevel: Int)?
        if let known = bestInstruments[question] {
            best = known
        } else {
            var found: (id: String, maximumLevel: Int)?
            for instrument in definitions.instruments
            where instrument.framework == framework.id && instrument.evidence >= evidence && instrument.items.contains(where: { $0.competence == competence }) {
                // The first of the highest, as `max(by:)` would pick.
                if found.map({ instrument.maximumLevel > $0.maximumLevel }) ?? true { found = (instrument.id, instrument.maximumLevel) }
            }
            bestInstruments[question] = .some(found)
            best = found
        }
        guard let best, best.maximumLevel < level else { return }
        diagnostics.warning(
            .unreachableByInstrument,
            "no instrument can give level \(level) in \(competence) with \(evidence.rawValue) evidence (the highest is \(best.maximumLevel), from \"\(best.id)\"); only a level recorded directly by an assessor can meet this. Lower the level or add a level cut.",
            at: location)
    }

    private mutating func checkBadgeCycles() {
        // Depth-first search with three colours over the badges' dependencies (by index); a grey target is
        // a back edge, i.e. a cycle.
        enum Colour { case white, grey, black }
        var colour: [Int: Colour] = [:]
        var path: [Int] = []
        var reported = Set<String>()

        func visit(_ index: Int, _ linter: inout Linter) {
            colour[index] = .grey
            path.append(index)
            for (target, location) in linter.dependencies[index] ?? [] {
                switch colour[target] ?? .white {
                case .white:
                    visit(target, &linter)
                case .grey:
                    let start = path.lastIndex(of: target) ?? 0
                    let cycle = (path[start...] + [target]).map { linter.definitions.badges[$0].id }
                    if reported.insert(cycle.sorted().joined(separator: ",")).inserted {
                        linter.diagnostics.error(
                            .badgeCycle,
                            "badges depend on each other in a circle (\(cycle.joined(separator: " → "))), so none of them can ever be earned; remove one of the <badge ref> criteria.",
                            at: location)
                    }
                case .black:
                    break
                }
            }
            path.removeLast()
            colour[index] = .black
        }

        // A badge that depends on none cannot be in a circle; the others are visited in file order.
        for index in dependencies.keys.sorted() where colour[index] == nil {
            visit(index, &self)
        }
    }

    private mutating func check(_ issuer: Issuer) {
        if let path = issuer.imagePath, !FileManager.default.fileExists(atPath: path) {
            diagnostics.error(.missingImage, "issuer image \(path) does not exist; add the file or fix src.", at: issuer.location)
        }
        Self.checkNeutral(issuer.name, "name", of: "the issuer", at: issuer.location, into: &diagnostics)
        if let description = issuer.description {
            Self.checkNeutral(description, "description", of: "the issuer", at: issuer.location, into: &diagnostics)
        }
    }

    // MARK: Privacy

    /// Words that tell a reader of a credential that its holder has been a client of social services or of
    /// rehabilitative work activity (in Finland, being a social-welfare client is itself confidential).
    /// Matched in lower case, as parts of words, in every language's text.
    static let revealingWords = [
        // Finnish
        "kuntouttav", "työtoimin", "sosiaalihuol", "sosiaalityö", "sosiaalipalvelu", "toimeentulotu", "aktivointisuunnitelm",
        "pitkäaikaistyöt",
        // Swedish
        "arbetsverksamhet", "rehabiliteringssyfte", "rehabiliterande", "socialvård", "socialtjänst", "utkomststöd", "aktiveringsplan",
        "långtidsarbetslös",
        // English
        "rehabilitative", "work activity", "social welfare", "social services", "social assistance", "activation plan", "long-term unemploy",
    ]

    static let revealingBytes = revealingWords.map { Array($0.utf8) }

    /// The UTF-8 bytes of the text in lower case and composed form (NFC). ASCII and Latin-1 letters, the
    /// usual case, are lowered eight bytes at a time (such a text has no combining marks, so it is already
    /// NFC); other texts go through `lowercased()` and Foundation's normalization.
    static func lowercasedNFC(_ text: String) -> [UInt8] {
        var text = text
        let lowered: [UInt8]? = text.withUTF8 { input in
            var latin = true
            let output = [UInt8](unsafeUninitializedCapacity: input.count) { output, count in
                latin = lowerLatin(input, into: output)
                count = latin ? input.count : 0
            }
            return latin ? output : nil
        }
        return lowered ?? Array(text.lowercased().precomposedStringWithCanonicalMapping.utf8)
    }

    /// Writes the text lowered into `output` (as long as the input) when it is ASCII and U+00C0–U+00FF:
    /// A–Z and À–Þ but × get 0x20 added (the second byte of C3 80–9E). False, with `output` unfinished, for
    /// any other text.
    static func lowerLatin(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        guard let source = input.baseAddress, let target = output.baseAddress else { return true }
        let count = input.count
        var afterC3: UInt64 = 0  // bit 7 of the first byte when the byte before the word is C3
        var index = 0
        while index < count {
            let word = ByteWord.load(source, at: index, end: count, pad: UInt8(ascii: "a"))
            if ByteWord.leadsOtherThanC3(word) != 0 { return false }
            let c3 = ByteWord.equal(word, 0xC3)
            let second = c3 &<< 8 | afterC3
            afterC3 = c3 &>> 56
            let upperASCII = ByteWord.asciiBelow(word, 0x5B) & ~ByteWord.asciiBelow(word, 0x41)
            // A second byte up to 0x9E has its low seven bits up to 0x1E.
            let upperLatin = second & ~((word & ByteWord.lowSeven) &+ ByteWord.repeating(0x61)) & ~ByteWord.equal(word, 0x97)
            let lowered = word | (upperASCII | upperLatin) &>> 2
            if index + 8 <= count {
                UnsafeMutableRawPointer(target + index).storeBytes(of: lowered.littleEndian, as: UInt64.self)
            } else {
                for offset in 0..<(count - index) { target[index + offset] = UInt8(truncatingIfNeeded: lowered &>> UInt64(offset * 8)) }
            }
            index += 8
        }
        return true
    }

    /// Whether `word` occurs in `text`, byte for byte.
    static func bytes(_ text: [UInt8], contain word: [UInt8]) -> Bool {
        guard let first = word.first, text.count >= word.count else { return false }
        for start in 0...(text.count - word.count) where text[start] == first {
            var matched = 1
            while matched < word.count, text[start + matched] == word[matched] { matched += 1 }
            if matched == word.count { return true }
        }
        return false
    }

    /// The revealing words laid out for a sampled pass over a text. Every word is at least `stride + 1`
    /// bytes long, so an occurrence of one holds exactly one place `stride * k` of the text at one of its
    /// first `stride` offsets; the pair of bytes there, with the offset, names the words to compare. Made
    /// once and only read; kept in buffers of their own, which the search reads without bounds checks or
    /// reference counting.
    private final class WordTable: @unchecked Sendable {
        let stride: Int
        /// The words' bytes end to end; word `w` is `bytes[starts[w]..<starts[w + 1]]`.
        let bytes: UnsafeBufferPointer<UInt8>
        let starts: UnsafeBufferPointer<Int>
        /// The (pair, word, offset) entries, sorted by pair; a pair's entries start at `firstEntry[pair]`.
        let entryPairs: UnsafeBufferPointer<Int>
        let entryWords: UnsafeBufferPointer<Int>
        let entryOffsets: UnsafeBufferPointer<Int>
        let firstEntry: UnsafeBufferPointer<UInt16>
        /// A bit for every pair some entry has: most places are passed over at one look.
        let pairBits: UnsafeBufferPointer<UInt64>

        init(_ words: [[UInt8]]) {
            let stride = max(1, (words.map(\.count).min() ?? 2) - 1)
            var entries: [(pair: Int, word: Int, offset: Int)] = []
            var pairBits = [UInt64](repeating: 0, count: 65_536 / 64)
            for (index, word) in words.enumerated() {
                for offset in 0..<min(stride, word.count - 1) {
                    let pair = Int(word[offset]) << 8 | Int(word[offset + 1])
                    entries.append((pair, index, offset))
                    pairBits[pair >> 6] |= 1 << UInt64(pair & 63)
                }
            }
            entries.sort { ($0.pair, $0.word, $0.offset) < ($1.pair, $1.word, $1.offset) }
            precondition(entries.count < Int(UInt16.max), "too many revealing words for the table")
            var firstEntry = [UInt16](repeating: UInt16(entries.count), count: 65_536)
            for (place, entry) in entries.enumerated().reversed() { firstEntry[entry.pair] = UInt16(place) }
            self.stride = stride
            bytes = Self.kept(words.flatMap { $0 })
            starts = Self.kept(words.reduce(into: [0]) { $0.append($0.last! + $1.count) })
            entryPairs = Self.kept(entries.map(\.pair))
            entryWords = Self.kept(entries.map(\.word))
            entryOffsets = Self.kept(entries.map(\.offset))
            self.firstEntry = Self.kept(firstEntry)
            self.pairBits = Self.kept(pairBits)
        }

        private static func kept<T>(_ values: [T]) -> UnsafeBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: values.count)
            _ = buffer.initialize(from: values)
            return UnsafeBufferPointer(buffer)
        }
    }

    private static let wordTable = WordTable(revealingBytes)

    /// The first of ``revealingWords`` (in their order) that `text` contains, found in one sampled pass
    /// over the text (the same answer as asking ``bytes(_:contain:)`` word by word, many times faster).
    static func firstRevealingWord(in text: [UInt8]) -> Int? {
        text.withUnsafeBufferPointer { firstRevealingWord(in: $0) }
    }

    static func firstRevealingWord(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        let table = wordTable
        let (bytes, starts, pairBits, firstEntry) = (table.bytes, table.starts, table.pairBits, table.firstEntry)
        let (entryPairs, entryWords, entryOffsets) = (table.entryPairs, table.entryWords, table.entryOffsets)
        let count = text.count
        var found = Int.max
        var place = 0
        while place + 1 < count {
            defer { place += table.stride }
            let pair = Int(text[place]) &<< 8 | Int(text[place + 1])
            guard pairBits[pair &>> 6] & (1 &<< UInt64(pair & 63)) != 0 else { continue }
            var entry = Int(firstEntry[pair])
            while entry < entryPairs.count, entryPairs[entry] == pair {
                defer { entry += 1 }
                let word = entryWords[entry]
                let start = place - entryOffsets[entry]
                let (wordStart, wordEnd) = (starts[word], starts[word + 1])
                guard word < found, start >= 0, start + (wordEnd - wordStart) <= count else { continue }
                var matched = 0
                while wordStart + matched < wordEnd, text[start + matched] == bytes[wordStart + matched] { matched += 1 }
                if wordStart + matched == wordEnd { found = word }
            }
        }
        return found == .max ? nil : found
    }

    /// The first of ``revealingWords`` in the text once lowered and composed (as ``lowercasedNFC(_:)``
    /// makes it); a Latin text, the usual case, is lowered into a buffer on the stack.
    static func firstRevealingWord(inText text: String) -> Int? {
        var text = text
        let latin: Int?? = text.withUTF8 { input in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count) { lowered -> Int?? in
                guard lowerLatin(input, into: lowered) else { return .none }
                return .some(firstRevealingWord(in: UnsafeBufferPointer(lowered)))
            }
        }
        return latin ?? firstRevealingWord(in: lowercasedNFC(text))
    }

    /// Warns when a text that ends up in credentials names the service or social-welfare status.
    private static func checkNeutral(
        _ text: LocalizedText, _ field: String, of owner: @autoclosure () -> String, at location: SourceLocation,
        into diagnostics: inout DiagnosticCollector
    ) {
        for language in Language.allCases where text.has(language) {
            // Lower case in composed form (NFC, as the words are), then compared as UTF-8 bytes: Foundation's
            // `contains` took half of linting 2,000 badges.
            if let index = Self.firstRevealingWord(inText: text.text(in: language)) {
                let word = Self.revealingWords[index]
                diagnostics.warning(
                    .revealsService,
                    "the \(language.rawValue) \(field) of \(owner()) says \"\(word)…\": credentials carry it to employers and schools, and must not reveal that their holder has been a client of social services; name the badge service or the skill instead.",
                    at: location)
                return
            }
        }
    }

    private mutating func check(_ pathway: Pathway) {
        checkUnique(pathway.phases, "phase", id: \.id, location: \.location)
        checkUnique(pathway.checkpoints, "checkpoint", id: \.id, location: \.location)
        checkUnique(pathway.outcomes, "outcome", id: \.id, location: \.location)
        let phaseIDs = Set(pathway.phases.map(\.id))
        for phase in pathway.phases {
            for transition in phase.next where !phaseIDs.contains(transition.phase) {
                diagnostics.error(
                    .unknownPhase, "phase \"\(transition.phase)\" is not defined in pathway \"\(pathway.id)\"; known phases: \(list(pathway.phases.map(\.id))).",
                    at: transition.location)
            }
        }
        for checkpoint in pathway.checkpoints where !phaseIDs.contains(checkpoint.phase) {
            diagnostics.error(
                .unknownPhase, "checkpoint \"\(checkpoint.id)\" is in phase \"\(checkpoint.phase)\", which is not defined; known phases: \(list(pathway.phases.map(\.id))).",
                at: checkpoint.location)
        }
        // Every phase should be reachable from the first one.
        guard let first = pathway.phases.first else { return }
        var reached: Set<String> = [first.id]
        var queue = [first]
        while let phase = queue.popLast() {
            for transition in phase.next where !reached.contains(transition.phase) {
                reached.insert(transition.phase)
                if let next = pathway.phase(transition.phase) { queue.append(next) }
            }
        }
        for phase in pathway.phases where !reached.contains(phase.id) {
            diagnostics.warning(
                .unreachablePhase,
                "phase \"\(phase.id)\" cannot be reached from the first phase \"\(first.id)\"; add a <next phase=\"\(phase.id)\"/> to an earlier phase.",
                at: phase.location)
        }
    }

    // MARK: Helpers

    @discardableResult
    private mutating func checkCompetence(_ code: String, in framework: Framework, at location: SourceLocation) -> Bool {
        if competenceCodes[framework.location]?.contains(code) ?? (framework.competence(code) != nil) { return true }
        diagnostics.error(
            .unknownCompetence,
            "competence \"\(code)\" is not in framework \"\(framework.id)\"; DigComp codes look like 2.1 (area 1–\(framework.areas.count)).\(suggestion(for: code, among: framework.competences.map(\.code)))",
            at: location)
        return false
    }

    @discardableResult
    private mutating func checkLevel(_ level: Int, in framework: Framework, attribute: String, at location: SourceLocation) -> Bool {
        if !(levelValues[framework.location]?.contains(level) ?? (framework.level(level) != nil)) {
            let values = framework.levels.map(\.value)
            diagnostics.error(
                .levelOutOfRange,
                "\(attribute)=\"\(level)\" is not a level of framework \"\(framework.id)\"; use \(values.min() ?? 0)–\(values.max() ?? 0).",
                at: location)
            return false
        }
        return true
    }

    private func list(_ values: [String]) -> String {
        values.isEmpty ? "(none)" : values.joined(separator: ", ")
    }

    /// " Did you mean …?" with the candidate fewest single-character edits away from `value` (at most two;
    /// the first in alphabetical order among equals), or nothing.
    private func suggestion(for value: String, among candidates: [String]) -> String {
        suggestion(for: value, among: candidates.map { ($0, Array($0)) })
    }

    private func suggestion(for value: String, among candidates: [(text: String, characters: [Character])]) -> String {
        let wanted = Array(value)
        var best: (distance: Int, text: String)?
        for candidate in candidates {
            guard let distance = Self.editDistance(wanted, candidate.characters, atMost: best?.distance ?? 2) else { continue }
            if best.map({ (distance, candidate.text) < ($0.distance, $0.text) }) ?? true { best = (distance, candidate.text) }
        }
        return best.map { " Did you mean \"\($0.text)\"?" } ?? ""
    }

    /// The badge ids as characters, for suggestions: made on the first unknown badge, then kept (a set with
    /// hundreds of unknown badges among thousands asked for them each time).
    private mutating func badgeIDCharacters() -> [(text: String, characters: [Character])] {
        if let known = knownBadgeIDCharacters { return known }
        let made = badges.keys.map { ($0, Array($0)) }
        knownBadgeIDCharacters = made
        return made
    }

    /// The edit distance (insertions, deletions and substitutions of characters) between `a` and `b` when it
    /// is at most `limit`, else nil: only the cells within `limit` of the diagonal are worked out, and the
    /// work stops at the first row whose every cell is above the limit.
    static func editDistance(_ a: [Character], _ b: [Character], atMost limit: Int) -> Int? {
        let (n, m) = (a.count, b.count)
        guard abs(n - m) <= limit else { return nil }
        if n == 0 || m == 0 { return max(n, m) }
        let above = limit + 1  // any distance over the limit
        var previous = (0...m).map { min($0, above) }
        var current = [Int](repeating: above, count: m + 1)
        for i in 1...n {
            let (low, high) = (max(1, i - limit), min(m, i + limit))
            current[0] = min(i, above)
            current[low - 1] = low > 1 ? above : current[0]
            var rowMinimum = current[low - 1]
            for j in low...high {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1, above)
                rowMinimum = min(rowMinimum, current[j])
            }
            if high < m { current[high + 1] = above }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[m] <= limit ? previous[m] : nil
    }
}
