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
    public static func base58btc(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let zeros = input.prefix { $0 == 0 }.count
        // Repeated division of the big-endian number by 58, one digit at a time, least significant first.
        var number = Array(input[zeros...])
        var digits: [UInt8] = []
        digits.reserveCapacity(input.count * 138 / 100 + 1)
        var start = 0
        while start < number.count {
            var remainder = 0
            for index in start..<number.count {
                let value = remainder * 256 + Int(number[index])
                number[index] = UInt8(value / 58)
                remainder = value % 58
            }
            digits.append(alphabet[remainder])
            while start < number.count && number[start] == 0 { start += 1 }
        }
        var text: [UInt8] = [UInt8(ascii: "z")]
        text.append(contentsOf: repeatElement(alphabet[0], count: zeros))
        text.append(contentsOf: digits.reversed())
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
