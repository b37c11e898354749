/// Eight bytes of text at a time in one 64-bit word (SWAR), for the definition texts' fast paths: a word
/// holds the bytes little-endian (the first byte lowest), and a mask marks a byte by its bit 7 (0x80).
/// Every mask here is exact in every byte; ByteWordTests hold each against a byte-at-a-time test.
enum ByteWord {
    static let highBits: UInt64 = 0x8080_8080_8080_8080
    static let lowSeven: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// `byte` in every byte of a word.
    @inline(__always)
    static func repeating(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

    /// Eight bytes from `base + offset`, or the bytes left before `end` followed by `pad` bytes.
    @inline(__always)
    static func load(_ base: UnsafePointer<UInt8>, at offset: Int, end: Int, pad: UInt8) -> UInt64 {
        if offset + 8 <= end { return UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)) }
        var word = repeating(pad)
        for index in offset..<end {
            let shift = UInt64((index - offset) * 8)
            word = word & ~(0xFF &<< shift) | UInt64(base[index]) &<< shift
        }
        return word
    }

    /// The bytes of `word` equal to `byte`.
    @inline(__always)
    static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ repeating(byte)
        return ~(((difference & lowSeven) &+ lowSeven) | difference) & highBits
    }

    /// The ASCII bytes of `word` (below 0x80) that are below `limit` (at most 0x80).
    @inline(__always)
    static func asciiBelow(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        // Adding 0x80 - limit to the low seven bits sets bit 7 exactly for the bytes at or above the limit.
        ~((word & lowSeven) &+ repeating(0x80 &- limit)) & ~word & highBits
    }

    /// The bytes of `word` that are 0xC0 or above (each starts a UTF-8 sequence of two or more bytes)
    /// other than 0xC3, which starts U+00C0–U+00FF (À–ÿ: the Latin letters of Finnish and Swedish).
    @inline(__always)
    static func leadsOtherThanC3(_ word: UInt64) -> UInt64 {
        word & (word &<< 1) & highBits & ~equal(word, 0xC3)
    }
}
