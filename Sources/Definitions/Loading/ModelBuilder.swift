import Basics
import Foundation

/// Turns a schema-valid element tree into the typed model, checking localised text on the way.
///
/// The schema has already guaranteed structure and value syntax, so this stage reads attributes without
/// re-checking them; it still never traps, falling back to neutral values if something is missing.
struct ModelBuilder {
    /// The folder of the file being built (absolute and standardized), for resolving image paths.
    let directory: String
    var diagnostics = DiagnosticCollector()

    init(directory: String) {
        self.directory = directory
    }

    // MARK: Files

    mutating func framework(_ root: RawElement) -> Framework {
        Framework(
            id: root[attribute: "id"] ?? "",
            version: root[attribute: "version"] ?? "",
            source: root[attribute: "source"],
            title: localized("title", in: root),
            description: optionalLocalized("description", in: root),
            levels: (root.child(named: "levels")?.children(named: "level") ?? []).map { level in
                Framework.Level(
                    value: int(level, "value"),
                    band: level[attribute: "band"] ?? "",
                    label: localized("label", in: level),
                    description: optionalLocalized("description", in: level),
                    location: level.location)
            },
            areas: root.children(named: "area").map { area in
                Framework.Area(
                    code: area[attribute: "code"] ?? "",
                    title: localized("title", in: area),
                    description: optionalLocalized("description", in: area),
                    competences: area.children(named: "competence").map { competence in
                        Framework.Competence(
                            code: competence[attribute: "code"] ?? "",
                            title: localized("title", in: competence),
                            description: localized("description", in: competence),
                            location: competence.location)
                    },
                    location: area.location)
            },
            baselines: root.children(named: "baseline").map { baseline in
                Framework.Baseline(
                    id: baseline[attribute: "id"] ?? "",
                    title: localized("title", in: baseline),
                    description: optionalLocalized("description", in: baseline),
                    requirements: baseline.children(named: "require").map { require in
                        Framework.Requirement(
                            competence: require[attribute: "competence"] ?? "",
                            level: int(require, "level"),
                            evidence: evidence(require) ?? .self,
                            location: require.location)
                    },
                    location: baseline.location)
            },
            location: root.location)
    }

    mutating func instrument(_ root: RawElement) -> Instrument {
        Instrument(
            id: root[attribute: "id"] ?? "",
            framework: root[attribute: "framework"] ?? "",
            version: root[attribute: "version"] ?? "",
            evidence: evidence(root) ?? .self,
            title: localized("title", in: root),
            description: optionalLocalized("description", in: root),
            scales: root.children(named: "scale").map { scale in
                Instrument.Scale(
                    id: scale[attribute: "id"] ?? "",
                    options: scale.children(named: "option").map { option in
                        Instrument.Option(
                            value: int(option, "value"), label: localized("label", in: option), location: option.location)
                    },
                    location: scale.location)
            },
            items: root.children(named: "item").map { item in
                Instrument.Item(
                    id: item[attribute: "id"] ?? "",
                    competence: item[attribute: "competence"] ?? "",
                    kind: item[attribute: "kind"].flatMap(Instrument.ItemKind.init(rawValue:)) ?? .skill,
                    scale: item[attribute: "scale"] ?? "",
                    correct: item[attribute: "correct"].flatMap { Int($0) },
                    weight: item[attribute: "weight"].flatMap { Double($0) } ?? 1,
                    text: localized("text", in: item),
                    location: item.location)
            },
            levelCuts: (root.child(named: "scoring")?.children(named: "level-cut") ?? []).map { cut in
                Instrument.LevelCut(minPercent: int(cut, "min-percent"), level: int(cut, "level"), location: cut.location)
            },
            location: root.location)
    }

    mutating func badge(_ root: RawElement) -> Badge {
        let image = root.child(named: "image")
        let source = image?[attribute: "src"] ?? ""
        var criteria = Criterion(.allOf([]), at: root.location)
        if let element = root.child(named: "criteria")?.children.first {
            criteria = criterion(element)
        }
        return Badge(
            id: root[attribute: "id"] ?? "",
            framework: root[attribute: "framework"] ?? "",
            version: root[attribute: "version"] ?? "",
            name: localized("name", in: root),
            description: localized("description", in: root),
            imageSource: source,
            imagePath: resolve(source),
            pngSource: image?[attribute: "png"],
            pngPath: image?[attribute: "png"].map(resolve),
            narrative: optionalLocalized("narrative", in: root),
            validityMonths: root.child(named: "validity").map { int($0, "months") },
            tags: root.children(named: "tag").map { normalized($0.text) },
            criteria: criteria,
            location: root.location,
            imageLocation: image?.location ?? root.location)
    }

    mutating func issuer(_ root: RawElement) -> Issuer {
        Issuer(
            id: root[attribute: "id"] ?? "",
            name: localized("name", in: root),
            description: optionalLocalized("description", in: root),
            url: normalized(root.child(named: "url")?.text ?? ""),
            email: normalized(root.child(named: "email")?.text ?? ""),
            baseURL: normalized(root.child(named: "base-url")?.text ?? ""),
            imagePath: root.child(named: "image")?[attribute: "src"].map(resolve),
            location: root.location)
    }

    mutating func pathway(_ root: RawElement) -> Pathway {
        Pathway(
            id: root[attribute: "id"] ?? "",
            version: root[attribute: "version"],
            title: localized("title", in: root),
            description: optionalLocalized("description", in: root),
            phases: root.children(named: "phase").map { phase in
                Pathway.Phase(
                    id: phase[attribute: "id"] ?? "",
                    title: localized("title", in: phase),
                    description: optionalLocalized("description", in: phase),
                    next: phase.children(named: "next").map {
                        Pathway.Transition(phase: $0[attribute: "phase"] ?? "", location: $0.location)
                    },
                    location: phase.location)
            },
            checkpoints: root.children(named: "checkpoint").map { checkpoint in
                Pathway.Checkpoint(
                    id: checkpoint[attribute: "id"] ?? "",
                    phase: checkpoint[attribute: "phase"] ?? "",
                    title: localized("title", in: checkpoint),
                    location: checkpoint.location)
            },
            outcomes: root.children(named: "outcome").map { outcome in
                Pathway.Outcome(id: outcome[attribute: "id"] ?? "", title: localized("title", in: outcome), location: outcome.location)
            },
            location: root.location)
    }

    // MARK: Criteria

    private mutating func criterion(_ element: RawElement) -> Criterion {
        let expression: Criterion.Expression
        switch element.name {
        case "all-of":
            expression = .allOf(element.children.map { criterion($0) })
        case "any-of":
            expression = .anyOf(element.children.map { criterion($0) })
        case "at-least":
            expression = .atLeast(count: int(element, "count"), element.children.map { criterion($0) })
        case "competence":
            expression = .competence(
                code: element[attribute: "ref"] ?? "", minLevel: int(element, "min-level"), evidence: evidence(element) ?? .self)
        case "area":
            expression = .area(
                code: element[attribute: "ref"] ?? "", minLevel: int(element, "min-level"),
                count: element[attribute: "count"].flatMap { Int($0) }, evidence: evidence(element) ?? .self)
        case "baseline":
            expression = .baseline(id: element[attribute: "ref"] ?? "", area: element[attribute: "area"], evidence: evidence(element))
        case "item":
            let reference = Self.instrumentAndItem(element[attribute: "ref"] ?? "")
            let condition: Criterion.ItemCondition
            if let minimum = element[attribute: "min-value"].flatMap({ Int($0) }) {
                condition = .minValue(minimum)
            } else {
                condition = .correct
            }
            let minValue = element[attribute: "min-value"]
            let correct = element[attribute: "correct"]
            if (minValue == nil) == (correct == nil) {
                diagnostics.error(
                    .itemCondition,
                    "an <item> criterion needs exactly one of min-value=\"N\" (scaled items) or correct=\"true\" (knowledge items).",
                    at: element.location)
            } else if let correct, correct != "true" && correct != "1" {
                diagnostics.error(
                    .itemCondition, "correct=\"\(correct)\" can never be required; write correct=\"true\" or remove the criterion.",
                    at: element.location)
            }
            expression = .item(instrument: reference.instrument, item: reference.item, condition: condition)
        case "badge":
            expression = .badge(id: element[attribute: "ref"] ?? "")
        default:  // "attestation"; the schema allows nothing else.
            expression = .attestation(role: element[attribute: "role"].flatMap(Criterion.Role.init(rawValue:)) ?? .instructor)
        }
        return Criterion(expression, at: element.location)
    }

    // MARK: Values

    /// An item reference `instrument/item` split as `split(separator: "/", maxSplits: 1)` splits it (leading
    /// slashes passed over, then split at the next one), by bytes: by characters it took 10,000
    /// instructions a reference. The schema allows only `name/name`.
    static func instrumentAndItem(_ reference: String) -> (instrument: String, item: String) {
        let bytes = reference.utf8
        let slash = UInt8(ascii: "/")
        guard let start = bytes.firstIndex(where: { $0 != slash }) else { return ("", "") }
        guard let end = bytes[start...].firstIndex(of: slash) else { return (String(reference[start...]), "") }
        return (String(reference[start..<end]), String(reference[bytes.index(after: end)...]))
    }

    private func int(_ element: RawElement, _ attribute: String) -> Int {
        // The schema's integer types allow spaces around the digits.
        element[attribute: attribute].flatMap { Int(normalized($0)) } ?? 0
    }

    private func evidence(_ element: RawElement) -> Evidence? {
        element[attribute: "evidence"].flatMap(Evidence.init(rawValue:))
    }

    /// A path in the file relative to its folder (which is absolute), standardized.
    private func resolve(_ path: String) -> String {
        FilePaths.standardized(directory + "/" + path, in: "/")
    }

    private func normalized(_ text: String) -> String { Self.collapsingWhitespace(text) }

    /// The text with each run of whitespace made one space, none at the ends, as splitting it on
    /// `Character.isWhitespace` does. Most texts are done on their UTF-8 bytes, where only ASCII whitespace
    /// then occurs; a text goes by characters when it holds Unicode whitespace (U+0085, U+00A0, U+1680,
    /// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) or a scalar from U+0300 up next to ASCII
    /// whitespace (a combining mark or a prepended sign joins the space into a character that is not
    /// whitespace). A text with nothing to change is returned as it is.
    static func collapsingWhitespace(_ text: String) -> String {
        var text = text
        let path: WhitespacePath = text.withUTF8 { bytes in latinPath(bytes) ?? scalarPath(bytes) }
        switch path {
        case .unchanged:
            return text
        case .characters:
            return collapsingByCharacters(text)
        case .bytes:
            return text.withUTF8 { bytes in
                String(unsafeUninitializedCapacity: bytes.count) { output in
                    var count = 0
                    var space = false
                    for byte in bytes {
                        if byte == 0x20 || (0x09...0x0D).contains(byte) {
                            space = count > 0
                            continue
                        }
                        if space {
                            output[count] = 0x20
                            count += 1
                            space = false
                        }
                        output[count] = byte
                        count += 1
                    }
                    return count
                }
            }
        }
    }

    /// How a text's whitespace is collapsed: not at all, on its bytes, or by characters.
    private enum WhitespacePath { case unchanged, bytes, characters }

    /// The path for a text of ASCII and U+00C0–U+00FF (the usual case), eight bytes at a time; nil for any
    /// other text. Such a text has no Unicode whitespace and no combining mark, so it is unchanged unless it
    /// has ASCII whitespace other than single spaces between words (or a control character, which the byte
    /// path keeps as it is).
    private static func latinPath(_ bytes: UnsafeBufferPointer<UInt8>) -> WhitespacePath? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .unchanged }
        let count = bytes.count
        var changed = base[0] == 0x20 || base[count - 1] == 0x20
        var spaceBefore: UInt64 = 0  // bit 7 of the first byte when the byte before the word is a space
        var index = 0
        while index < count {
            let word = ByteWord.load(base, at: index, end: count, pad: UInt8(ascii: "a"))
            if ByteWord.leadsOtherThanC3(word) != 0 { return nil }
            let spaces = ByteWord.equal(word, 0x20)
            if ByteWord.asciiBelow(word, 0x20) != 0 || spaces & (spaces &<< 8 | spaceBefore) != 0 { changed = true }
            spaceBefore = spaces &>> 56
            index += 8
        }
        return changed ? .bytes : .unchanged
    }

    /// The path for any text, a byte at a time.
    private static func scalarPath(_ bytes: UnsafeBufferPointer<UInt8>) -> WhitespacePath {
        var unchanged = true
        var afterWhitespace = true  // at the start, whitespace would be leading
        var lastLead: UInt8 = 0  // the first byte of the last scalar
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        for byte in bytes {
            if byte <= 0x20 && (byte == 0x20 || (0x09...0x0D).contains(byte)) {
                if afterWhitespace || byte != 0x20 { unchanged = false }
                if lastLead >= 0xCC { return .characters }
                afterWhitespace = true
                lastLead = byte
            } else if byte < 0x80 {
                lastLead = byte
                afterWhitespace = false
            } else if byte & 0xC0 != 0x80 {
                if byte >= 0xCC, afterWhitespace, lastLead != 0 { return .characters }
                lastLead = byte
                afterWhitespace = false
            } else if (previous == 0xC2 && (byte == 0x85 || byte == 0xA0))
                || (beforePrevious == 0xE1 && previous == 0x9A && byte == 0x80)
                || (beforePrevious == 0xE2 && previous == 0x80 && ((0x80...0x8A).contains(byte) || byte == 0xA8 || byte == 0xA9 || byte == 0xAF))
                || (beforePrevious == 0xE2 && previous == 0x81 && byte == 0x9F)
                || (beforePrevious == 0xE3 && previous == 0x80 && byte == 0x80)
            {
                return .characters
            }
            beforePrevious = previous
            previous = byte
        }
        if afterWhitespace, lastLead != 0 { unchanged = false }  // trailing whitespace
        return unchanged ? .unchanged : .bytes
    }

    private static func collapsingByCharacters(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// A required localised text: Finnish must be there; Swedish and English should be.
    private mutating func localized(_ name: String, in parent: RawElement) -> LocalizedText {
        var text = LocalizedText(values: [:])
        var first: RawElement?
        parent.forEachChild(named: name) { element in
            if first == nil { first = element }
            let code = element[attribute: "xml:lang"] ?? ""
            guard let language = Language(rawValue: code) else {
                diagnostics.error(
                    .unsupportedLanguage, "xml:lang=\"\(code)\" is not supported; use fi, sv or en.", at: element.location)
                return
            }
            if text[language] != nil {
                diagnostics.error(
                    .duplicateTranslation, "<\(element.name)> has two \(code) texts; keep one.", at: element.location)
                return
            }
            text[language] = normalized(element.text)
        }
        if text[.fi] == nil {
            diagnostics.error(
                .missingFinnish, "<\(parent.name)> has no Finnish <\(name) xml:lang=\"fi\">; Finnish text is required.",
                at: first?.location ?? parent.location)
        }
        for language in Language.allCases where language != .fi && text[language] == nil {
            diagnostics.warning(
                .missingTranslation,
                "<\(name)> of <\(parent.name)> has no \(language == .sv ? "Swedish" : "English") translation; add <\(name) xml:lang=\"\(language.rawValue)\">.",
                at: first?.location ?? parent.location)
        }
        return text
    }

    /// An optional localised text: absent is fine, but once written it follows the same rules.
    private mutating func optionalLocalized(_ name: String, in parent: RawElement) -> LocalizedText? {
        parent.child(named: name) == nil ? nil : localized(name, in: parent)
    }
}
