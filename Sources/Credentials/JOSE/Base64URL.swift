import CBase64URL

/// Unpadded base64url (RFC 4648 §5), as JOSE uses it, over bytes.
///
/// Decoding is strict: only the base64url alphabet, no padding, no length of the form 4n+1, and the unused
/// low bits of the last character must be zero, so that every byte string has exactly one accepted spelling.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0...63 for alphabet characters, 0xFF for everything else.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        append(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the encoding of `bytes` to `output` (the fast path for building tokens).
    static func append(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            append(buffer, to: &output)
            return true
        }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { append($0, to: &output) }
        }
    }

    private static func append(_ input: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        let count = input.count
        let start = output.count
        let length = count / 3 * 4 + [0, 2, 3][count % 3]
        output.append(contentsOf: repeatElement(0, count: length))
        alphabet.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { whole in
                let out = UnsafeMutableBufferPointer(rebasing: whole[start...])
                var index = 0
                var written = 0
                while index + 3 <= count {
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    out[written] = table[Int(chunk >> 18)]
                    out[written + 1] = table[Int((chunk >> 12) & 63)]
                    out[written + 2] = table[Int((chunk >> 6) & 63)]
                    out[written + 3] = table[Int(chunk & 63)]
                    index += 3
                    written += 4
                }
                switch count - index {
                case 1:
                    let chunk = UInt32(input[index]) << 16
                    out[written] = table[Int(chunk >> 18)]
                    out[written + 1] = table[Int((chunk >> 12) & 63)]
                case 2:
                    let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                    out[written] = table[Int(chunk >> 18)]
                    out[written + 1] = table[Int((chunk >> 12) & 63)]
                    out[written + 2] = table[Int((chunk >> 6) & 63)]
                default:
                    break
                }
            }
        }
    }

    /// Decodes canonical unpadded base64url; nil for anything else.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var copy = String(text)
        return copy.withUTF8 { decode($0) }
    }

    /// Two characters at a time: index `c0 | c1 << 8` (a little-endian 16-bit load), value the 12 bits they
    /// carry, or 0xFFFF when either is outside the alphabet.
    private static let pairs: [UInt16] = {
        var table = [UInt16](repeating: 0xFFFF, count: 65536)
        for (first, a) in alphabet.enumerated() {
            for (second, b) in alphabet.enumerated() {
                table[Int(a) | Int(b) << 8] = UInt16(first << 6 | second)
            }
        }
        return table
    }()

    public static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? { decode(input, vectors: 2) }

    /// `vectors`: 2 to decode blocks with AVX2 and then SSSE3, 1 with SSSE3 only, each where the processor
    /// has it, 0 with neither (for the tests that hold each way to Foundation).
    package static func decode(_ input: UnsafeBufferPointer<UInt8>, vectors: Int32) -> [UInt8]? {
        let count = input.count
        guard count % 4 != 1 else { return nil }
        let size = count / 4 * 3 + max(0, count % 4 - 1)
        var valid = false
        // Not filled with zeros first: the loops below write every byte of it, in order, when the text is valid.
        let output = [UInt8](unsafeUninitializedCapacity: size) { out, initialized in
            valid = values.withUnsafeBufferPointer { table -> Bool in
                var index = 0
                var written = 0
                var bad: UInt8 = 0
                var badPairs: UInt16 = 0
                if let base = input.baseAddress, count >= 4 {
                    // Whole blocks of 32 and sixteen characters with AVX2 and SSSE3 first; they stop before a
                    // block with a bad character, which the loops below then find, and never reach a short last group.
                    let blocks = merkisto_base64url_decode_blocks(vectors, base, count, out.baseAddress!, out.count)
                    index = blocks
                    written = blocks / 4 * 3
                    Self.pairs.withUnsafeBufferPointer { pairs in
                        let raw = UnsafeRawPointer(base)
                        // Eight characters (six bytes) per step while there is room to spare in the output.
                        while index + 8 <= count, written + 8 <= out.count {
                            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                            let a = pairs[Int(truncatingIfNeeded: word & 0xFFFF)]
                            let b = pairs[Int(truncatingIfNeeded: (word >> 16) & 0xFFFF)]
                            let c = pairs[Int(truncatingIfNeeded: (word >> 32) & 0xFFFF)]
                            let d = pairs[Int(truncatingIfNeeded: word >> 48)]
                            badPairs |= a | b | c | d
                            let bits =
                                UInt64(a & 0x0FFF) << 36 | UInt64(b & 0x0FFF) << 24 | UInt64(c & 0x0FFF) << 12 | UInt64(d & 0x0FFF)
                            // The six bytes, big-endian, written as one 8-byte store (the last two are overwritten next).
                            UnsafeMutableRawPointer(out.baseAddress! + written).storeBytes(of: (bits << 16).bigEndian, as: UInt64.self)
                            index += 8
                            written += 6
                        }
                        while index + 4 <= count {
                            let high = pairs[Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt16.self)))]
                            let low = pairs[Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index + 2, as: UInt16.self)))]
                            badPairs |= high | low
                            let chunk = UInt32(high & 0x0FFF) << 12 | UInt32(low & 0x0FFF)
                            out[written] = UInt8(truncatingIfNeeded: chunk >> 16)
                            out[written + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                            out[written + 2] = UInt8(truncatingIfNeeded: chunk)
                            index += 4
                            written += 3
                        }
                    }
                }
                if badPairs & 0xF000 != 0 { return false }
                switch count - index {
                case 2:
                    let a = table[Int(input[index])], b = table[Int(input[index + 1])]
                    bad |= (a | b) & 0xC0
                    // 12 bits carry 8: the low 4 bits of the second character must be zero.
                    if b & 0x0F != 0 { return false }
                    out[written] = UInt8(truncatingIfNeeded: UInt32(a & 63) << 2 | UInt32(b & 63) >> 4)
                case 3:
                    let a = table[Int(input[index])], b = table[Int(input[index + 1])], c = table[Int(input[index + 2])]
                    bad |= (a | b | c) & 0xC0
                    // 18 bits carry 16: the low 2 bits of the third character must be zero.
                    if c & 0x03 != 0 { return false }
                    let chunk = UInt32(a & 63) << 10 | UInt32(b & 63) << 4 | UInt32(c & 63) >> 2
                    out[written] = UInt8(truncatingIfNeeded: chunk >> 8)
                    out[written + 1] = UInt8(truncatingIfNeeded: chunk)
                default:
                    break
                }
                return bad == 0
            }
            initialized = valid ? size : 0
        }
        return valid ? output : nil
    }
}
