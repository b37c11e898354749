import CJSONSkip

#if canImport(Glibc)
import Glibc
#endif

// A JSON writer and reader over UTF-8 bytes for the signing and verifying paths, where Foundation's
// JSONEncoder/JSONDecoder would cost more than the signature itself.

/// Which parts of a document to keep when reading it: everything, or some keys of an object (each with
/// its own selection). Whatever is not kept is still checked to be well-formed JSON, then dropped.
package indirect enum JSONSelection: Sendable {
    case all
    case fields(FieldTable)

    package static func keys(_ wanted: [String: JSONSelection]) -> JSONSelection { .fields(FieldTable(wanted)) }

    /// The wanted keys of one object, laid out for matching raw key bytes without building strings.
    package final class FieldTable: Sendable {
        package let names: [String]
        package let selections: [JSONSelection]
        private let bytes: [[UInt8]]
        private let lengths: [Int]
        private let firsts: [UInt8]

        package init(_ wanted: [String: JSONSelection]) {
            let sorted = wanted.sorted { $0.key < $1.key }
            names = sorted.map(\.key)
            selections = sorted.map(\.value)
            bytes = names.map { Array($0.utf8) }
            lengths = bytes.map(\.count)
            firsts = bytes.map { $0.first ?? 0 }
        }

        /// The index of the field named exactly `key` (raw bytes of a non-empty key without escapes).
        package func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
            guard let start = key.baseAddress, !key.isEmpty else { return nil }
            for index in lengths.indices where lengths[index] == key.count && firsts[index] == start.pointee {
                if bytes[index].withUnsafeBufferPointer({ memcmp($0.baseAddress!, start, key.count) == 0 }) { return index }
            }
            return nil
        }

        package func index(of name: String) -> Int? { names.firstIndex(of: name) }
    }
}

/// The JSON reader the verifier uses, for tools and fuzzing: one document, strictly (RFC 8259, UTF-8, no
/// duplicate keys, no lone surrogates, at most 64 levels deep).
public enum StrictJSON {
    public static func read(_ bytes: [UInt8]) throws -> JSONValue { try JSONBytes.parse(bytes) }
}

package enum JSONBytes {
    package static func writeString(_ value: String, into output: inout [UInt8]) {
        JSONValue.writeString(value, into: &output)
    }

    /// Where and why a document is not JSON. Kept to a few bytes: the reader passes it through every level.
    package struct Malformed: Error, CustomStringConvertible {
        package var offset: Int
        package var reason: StaticString

        package var description: String { "byte \(offset): \(reason)" }
    }

    /// Reads one JSON document (RFC 8259, UTF-8, duplicate keys refused in what is kept).
    package static func parse(_ bytes: [UInt8], keeping selection: JSONSelection = .all) throws(Malformed) -> JSONValue {
        try parseNotingKeys(bytes, keeping: selection).value
    }

    /// Reads one JSON document as ``parse(_:keeping:)`` does, and says whether every key of every object in
    /// it, kept or skipped, is a plain JSON-LD term: not a keyword or keyword alias spelled with `@` (other
    /// than the top object's `@context`), not a compact or absolute IRI (no `:`), not empty and not written
    /// with escapes. A document whose keys are all plain terms of fixed contexts says each statement in one
    /// way only; anything else may say it in another way, and must be read by its statements.
    ///
    /// `fastSkip`: values not kept are checked by the C skipper (CJSONSkip), which hands back to the Swift
    /// reading whenever it is not sure; false only in the tests that hold the two to the same answers.
    package static func parseNotingKeys(
        _ bytes: [UInt8], keeping selection: JSONSelection = .all, fastSkip: Bool = true
    ) throws(Malformed) -> (value: JSONValue, onlyPlainTerms: Bool) {
        try bytes.withUnsafeBufferPointer { buffer throws(Malformed) -> (value: JSONValue, onlyPlainTerms: Bool) in
            var reader = Reader(bytes: buffer, fastSkip: fastSkip)
            reader.skipSpace()
            let value = try reader.value(selection, depth: 0)
            reader.skipSpace()
            guard reader.index == buffer.count else { throw Malformed(offset: reader.index, reason: "text after the JSON value") }
            return (value ?? .null, reader.onlyPlainTerms)
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// Whether every key so far is a plain term (see ``JSONBytes/parseNotingKeys(_:keeping:)``).
        var onlyPlainTerms = true
        static let maxDepth = 64

        /// Notes a key given by its raw bytes between the quotes, in an object `depth` levels down.
        mutating func note(rawKey key: UnsafeBufferPointer<UInt8>, depth: Int) {
            guard onlyPlainTerms else { return }
            let keyword = key.first == UInt8(ascii: "@") && !(depth == 0 && key.elementsEqual("@context".utf8))
            if key.isEmpty || keyword || key.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "\\") }) {
                onlyPlainTerms = false
            }
        }

        /// Whether values not kept go to the C skipper first.
        let fastSkip: Bool

        init(bytes: UnsafeBufferPointer<UInt8>, fastSkip: Bool = true) {
            self.bytes = bytes
            self.fastSkip = fastSkip
        }

        mutating func skipSpace() {
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
                index += 1
            }
        }

        func fail(_ reason: StaticString) -> Malformed { Malformed(offset: index, reason: reason) }

        mutating func expect(_ literal: StaticString) throws(Malformed) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("unexpected end") }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { throw fail("unexpected character") }
            index += count
        }

        /// Reads a value; returns nil when `keep` is nil (the value was only checked).
        mutating func value(_ keep: JSONSelection?, depth: Int) throws(Malformed) -> JSONValue? {
            guard let keep else {
                try skipValue(depth: depth)
                return nil
            }
            guard depth < Self.maxDepth else { throw fail("nested too deeply") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(keep, depth: depth)
            case UInt8(ascii: "["): return try array(keep, depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default: return try number()
            }
        }

        /// Reads an object, keeping the keys `keep` names (a duplicate of a kept key is refused; the parts
        /// not kept are only checked).
        mutating func object(_ keep: JSONSelection, depth: Int) throws(Malformed) -> JSONValue {
            index += 1
            var fields: [String: JSONValue] = [:]
            if case .fields(let table) = keep { fields.reserveCapacity(table.names.count) }
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                var child: JSONSelection?
                var key = ""
                switch keep {
                case .all:
                    let start = index + 1
                    key = try string()
                    note(rawKey: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), depth: depth)
                    child = .all
                case .fields(let table):
                    let start = index + 1
                    let shape = skipStringFast()
                    if shape == nil { try skipString() }
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<index - 1])
                    note(rawKey: raw, depth: depth)
                    if shape.map({ $0 & 1 != 0 }) ?? raw.contains(UInt8(ascii: "\\")) {
                        // An escaped key: compare its decoded form.
                        index = start - 1
                        key = try string()
                        if let found = table.index(of: key) { child = table.selections[found] }
                    } else if let found = table.index(of: raw) {
                        key = table.names[found]
                        child = table.selections[found]
                    }
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipSpace()
                if let value = try value(child, depth: depth + 1) {
                    guard fields.updateValue(value, forKey: key) == nil else { throw fail("duplicate key") }
                }
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                return .object(fields)
            }
        }

        /// Reads an array; `keep` applies to each element.
        mutating func array(_ keep: JSONSelection, depth: Int) throws(Malformed) -> JSONValue {
            index += 1
            var values: [JSONValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(values)
            }
            while true {
                skipSpace()
                if let value = try value(keep, depth: depth + 1) { values.append(value) }
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                index += 1
                return .array(values)
            }
        }

        /// Checks one value and moves past it, keeping nothing: the C skipper first, which checks what this
        /// reader checks (held to it by JSONSkipTests); when it is not sure or finds an error, the Swift
        /// reading below does the whole value again and explains any error.
        mutating func skipValue(depth: Int) throws(Malformed) {
            if fastSkip, let base = bytes.baseAddress {
                var plain: Int32 = onlyPlainTerms ? 1 : 0
                let end = merkisto_json_skip_value(base, bytes.count, index, depth, &plain)
                if end >= 0 {
                    index = end
                    if plain == 0 { onlyPlainTerms = false }
                    return
                }
            }
            try readSkippedValue(depth: depth)
        }

        /// ``skipValue(depth:)`` in Swift.
        mutating func readSkippedValue(depth: Int) throws(Malformed) {
            guard depth < Self.maxDepth else { throw fail("nested too deeply") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let start = index + 1
                    try skipString()
                    note(rawKey: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), depth: depth)
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    index += 1
                    skipSpace()
                    try readSkippedValue(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                    index += 1
                    return
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                while true {
                    skipSpace()
                    try readSkippedValue(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("unexpected end") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                    index += 1
                    return
                }
            default:
                _ = try value(.all, depth: depth)
            }
        }

        /// A mask whose lowest set bit falls in the first byte of `word` (little-endian) that is a quote, a
        /// backslash or a control character; zero when there is none. (SWAR: bits above the first hit may be
        /// spurious, the lowest one is exact.)
        @inline(__always)
        static func specialMask(_ word: UInt64) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let quote = word ^ (0x22 &* ones)
            let backslash = word ^ (0x5C &* ones)
            let found = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- (0x20 &* ones)) & ~word)
            return found & highs
        }

        /// Moves `index` to the next quote, backslash or control character (or the end), 8 bytes at a time.
        @inline(__always)
        mutating func skipPlain() {
            var high: UInt64 = 0
            skipPlain(high: &high)
        }

        /// The same, OR-ing into `high` every byte passed (and maybe a few after): no bit 7 in it means
        /// the run was ASCII.
        @inline(__always)
        mutating func skipPlain(high: inout UInt64) {
            guard let base = bytes.baseAddress else { return }
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                high |= word
                let mask = Self.specialMask(word)
                if mask != 0 {
                    index += mask.trailingZeroBitCount >> 3
                    return
                }
                index += 8
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return }
                high |= UInt64(byte)
                index += 1
            }
        }

        /// Moves past a string, checking it as reading it would: escapes (a `\u` surrogate only as a pair),
        /// no raw control characters, and valid UTF-8. A string the reader does not keep is still checked:
        /// the signed bytes must be JSON that every other reader takes the same way.
        mutating func skipString() throws(Malformed) {
            let start = index
            index += 1
            var pendingHighSurrogate = false
            var high: UInt64 = 0
            while index < bytes.count {
                skipPlain(high: &high)
                guard index < bytes.count else { break }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    // Only a string with a byte above 0x7F needs the UTF-8 check.
                    if high & 0x8080_8080_8080_8080 != 0 { try checkUTF8(from: start + 1, to: index - 1) }
                    return
                }
                if byte < 0x20 { throw fail("control character in a string") }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count else { break }
                    if bytes[index + 1] == UInt8(ascii: "u") {
                        let unit = try hex4(at: index + 2)
                        let high = (0xD800..<0xDC00).contains(unit), low = (0xDC00..<0xE000).contains(unit)
                        guard pendingHighSurrogate == low else { throw fail("lone surrogate") }
                        pendingHighSurrogate = high
                        index += 6
                        // A high surrogate's low half must follow at once.
                        if high, !(index + 1 < bytes.count && bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u")) {
                            throw fail("lone surrogate")
                        }
                        continue
                    }
                    guard Self.simpleEscape(bytes[index + 1]) != nil else { throw fail("bad escape") }
                    index += 2
                    continue
                }
                index += 1
            }
            throw fail("unterminated string")
        }

        /// Checks that `bytes[start..<end]` is UTF-8 (ASCII runs, the usual case, 8 bytes at a time).
        func checkUTF8(from start: Int, to end: Int) throws(Malformed) {
            guard let base = bytes.baseAddress else { return }
            var scan = start
            while scan + 8 <= end, UnsafeRawPointer(base + scan).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { scan += 8 }
            guard UTF8Check.isValid(UnsafeBufferPointer(start: base + scan, count: end - scan)) else {
                throw Malformed(offset: start, reason: "invalid UTF-8")
            }
        }

        /// Moves past the string at `index` with the C skipper when it takes it, and returns the string's
        /// shape (1: an escape, 2: a ':', 4: a byte above 0x7F); nil, with `index` unmoved, when it does not.
        mutating func skipStringFast() -> UInt32? {
            guard fastSkip, let base = bytes.baseAddress else { return nil }
            var shape: UInt32 = 0
            let end = merkisto_json_skip_string(base, bytes.count, index, &shape)
            guard end >= 0 else { return nil }
            index = end
            return shape
        }

        mutating func string() throws(Malformed) -> String {
            // A string without escapes, as the C skipper found it (its UTF-8 checked there).
            let quote = index
            if let shape = skipStringFast() {
                if shape & 1 == 0 { return String(decoding: UnsafeBufferPointer(rebasing: bytes[quote + 1..<index - 1]), as: UTF8.self) }
                index = quote
            }
            let start = index + 1
            // Fast path: no escapes.
            index = start
            skipPlain()
            var scan = index
            index = start - 1
            while scan < bytes.count {
                let byte = bytes[scan]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<scan])
                    index = scan + 1
                    // ASCII needs no UTF-8 validation.
                    if run.allSatisfy({ $0 < 0x80 }) { return String(decoding: run, as: UTF8.self) }
                    guard let text = String(validating: run, as: UTF8.self) else { throw fail("invalid UTF-8") }
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw fail("control character in a string") }
                scan += 1
            }
            var output: [UInt8] = Array(bytes[start..<scan])
            index = scan
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard let text = String(validating: output, as: UTF8.self) else { throw fail("invalid UTF-8") }
                    return text
                }
                if byte < 0x20 { throw fail("control character in a string") }
                guard byte == UInt8(ascii: "\\") else {
                    output.append(byte)
                    index += 1
                    continue
                }
                guard index + 1 < bytes.count else { break }
                if let simple = Self.simpleEscape(bytes[index + 1]) {
                    output.append(simple)
                    index += 2
                    continue
                }
                guard bytes[index + 1] == UInt8(ascii: "u") else { throw fail("bad escape") }
                var scalar = try hex4(at: index + 2)
                index += 6
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate")
                    }
                    let low = try hex4(at: index + 2)
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("lone surrogate")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("bad \\u escape") }
                output.append(contentsOf: String(Character(unicode)).utf8)
            }
            throw fail("unterminated string")
        }

        func hex4(at position: Int) throws(Malformed) -> UInt32 {
            guard position + 4 <= bytes.count else { throw fail("bad \\u escape") }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard let digit = Self.hexValue(bytes[position + offset]) else { throw fail("bad \\u escape") }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        static func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x37
            case 0x61...0x66: byte - 0x57
            default: nil
            }
        }

        static func simpleEscape(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "\""): 0x22
            case UInt8(ascii: "\\"): 0x5C
            case UInt8(ascii: "/"): 0x2F
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        }

        /// RFC 8259 number grammar; integers that fit become `.int`, everything else `.double`.
        mutating func number() throws(Malformed) -> JSONValue {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("unexpected character") }
            if bytes[index] == 0x30 {
                index += 1
            } else {
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            }
            var integral = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("bad number") }
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("bad number") }
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            }
            if integral, index - start <= 18 {
                var value = 0
                var position = start
                let negative = bytes[position] == UInt8(ascii: "-")
                if negative { position += 1 }
                while position < index {
                    value = value * 10 + Int(bytes[position] - 0x30)
                    position += 1
                }
                return .int(negative ? -value : value)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let value = Int(text) { return .int(value) }
            guard let value = Double(text) else { throw fail("bad number") }
            // 1e400 would be infinity, which JSON cannot hold (nor write back).
            guard value.isFinite else { throw fail("a number out of range") }
            return .double(value)
        }
    }
}

/// UTF-8 validation without making a string (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF). Checked against the standard library's `String(validating:)` in the tests.
package enum UTF8Check {
    package static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstInvalidOffset(bytes) == nil
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, or nil when all are valid.
    package static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                // ASCII runs, 8 bytes at a time.
                while index + 8 <= count, UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                continue
            }
            func continuation(_ offset: Int) -> UInt8? {
                guard index + offset < count, bytes[index + offset] & 0xC0 == 0x80 else { return nil }
                return bytes[index + offset]
            }
            switch lead {
            case 0xC2...0xDF:
                guard continuation(1) != nil else { return index }
                index += 2
            case 0xE0...0xEF:
                guard let second = continuation(1), continuation(2) != nil else { return index }
                if lead == 0xE0, second < 0xA0 { return index }  // overlong
                if lead == 0xED, second >= 0xA0 { return index }  // a surrogate
                index += 3
            case 0xF0...0xF4:
                guard let second = continuation(1), continuation(2) != nil, continuation(3) != nil else { return index }
                if lead == 0xF0, second < 0x90 { return index }  // overlong
                if lead == 0xF4, second >= 0x90 { return index }  // above U+10FFFF
                index += 4
            default:
                return index
            }
        }
        return nil
    }
}
