/// Multibase base58btc (`z…`, the Bitcoin alphabet) and Multikey (W3C Controlled Identifiers §2.2.2) for
/// Ed25519 public keys: the forms Data Integrity proofs and verification methods use.
public enum Multibase {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let digits: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = Int8(value) }
        return table
    }()

    /// `z` followed by the base58btc text of `bytes`.
    ///
    /// The number is held in 32-bit limbs and divided by 58⁵ at a time, giving five digits per pass (a
    /// signature is 64 bytes: 18 passes over 16 limbs instead of 88 passes over its bytes).
    public static func base58btc(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix { $0 == 0 }.count
        // Big-endian limbs of the number after the leading zero bytes.
        let significant = input[zeros...]
        var limbs = [UInt32](repeating: 0, count: (significant.count + 3) / 4)
        var shift = (limbs.count * 4 - significant.count) * 8
        var limb = 0
        for byte in significant {
            limbs[limb] |= UInt32(byte) << (24 - shift)
            shift += 8
            if shift == 32 {
                shift = 0
                limb += 1
            }
        }
        let chunk: UInt64 = 656_356_768  // 58⁵
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 5)
        var start = 0
        while start < limbs.count {
            var remainder: UInt64 = 0
            for index in start..<limbs.count {
                let value = remainder << 32 | UInt64(limbs[index])
                limbs[index] = UInt32(truncatingIfNeeded: value / chunk)
                remainder = value % chunk
            }
            while start < limbs.count && limbs[start] == 0 { start += 1 }
            for _ in 0..<5 {
                digits.append(UInt8(truncatingIfNeeded: remainder % 58))
                remainder /= 58
            }
        }
        // The last pass's high digits may be zeros that are not part of the number.
        while digits.last == 0 { digits.removeLast() }
        var text: [UInt8] = [UInt8(ascii: "z")]
        text.reserveCapacity(1 + zeros + digits.count)
        text.append(contentsOf: repeatElement(alphabet[0], count: zeros))
        for digit in digits.reversed() { text.append(alphabet[Int(digit)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of a `z…` base58btc text, or nil when it is not one.
    public static func decodeBase58btc(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.first == UInt8(ascii: "z"), characters.count <= 1 + 512 else { return nil }
        let body = characters.dropFirst()
        let zeros = body.prefix { $0 == alphabet[0] }.count
        var number: [UInt8] = []  // little-endian base 256
        for character in body.dropFirst(zeros) {
            guard character < 128, digits[Int(character)] >= 0 else { return nil }
            var carry = Int(digits[Int(character)])
            for index in number.indices {
                let value = Int(number[index]) * 58 + carry
                number[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
            while carry > 0 {
                number.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + number.reversed()
    }

    /// The multicodec header of an Ed25519 public key (`ed25519-pub`, 0xed as a varint).
    static let ed25519PublicHeader: [UInt8] = [0xED, 0x01]

    /// The Multikey `publicKeyMultibase` of a 32-byte Ed25519 public key (`z6Mk…`).
    public static func ed25519PublicKey(_ raw: some Collection<UInt8>) -> String {
        base58btc(ed25519PublicHeader + Array(raw))
    }

    /// The 32 raw bytes of an Ed25519 Multikey `publicKeyMultibase`, or nil when it is not one.
    public static func ed25519PublicKey(multibase text: String) -> [UInt8]? {
        guard let bytes = decodeBase58btc(text), bytes.count == 34, Array(bytes.prefix(2)) == ed25519PublicHeader else { return nil }
        return Array(bytes.dropFirst(2))
    }
}
