import Basics
import CompressNIO
import NIOCore

/// A W3C Bitstring Status List (v1.0): one bit per credential, index 0 the most significant bit of the
/// first byte; published GZIP-compressed and multibase base64url-encoded (`u…`) as `encodedList`.
public struct BitstringStatusList: Sendable, Equatable {
    /// The least number of entries of a list (the specification's 16 KB), so that a set bit tells no one
    /// whose credential it is.
    public static let minimumLength = StatusListEntry.listLength

    public private(set) var bytes: [UInt8]

    public var length: Int { bytes.count * 8 }

    public init(length: Int = BitstringStatusList.minimumLength) {
        bytes = [UInt8](repeating: 0, count: (max(length, Self.minimumLength) + 7) / 8)
    }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public mutating func set(_ index: Int) {
        precondition(index >= 0 && index < length, "status list index out of range")
        bytes[index / 8] |= 0x80 >> UInt8(index % 8)
    }

    public func isSet(_ index: Int) -> Bool {
        guard index >= 0, index < length else { return false }
        return bytes[index / 8] & (0x80 >> UInt8(index % 8)) != 0
    }

    /// The indexes of the set bits, in order.
    public var setIndexes: [Int] {
        var found: [Int] = []
        for (offset, byte) in bytes.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 { found.append(offset * 8 + bit) }
        }
        return found
    }

    /// `u` + base64url (no padding) of the GZIP-compressed bits.
    public func encodedList() throws -> String {
        var buffer = ByteBuffer(bytes: bytes)
        let compressed = try buffer.compress(with: .gzip())
        var text: [UInt8] = [UInt8(ascii: "u")]
        Base64URL.append(Array(compressed.readableBytesView), to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Why an `encodedList` could not be read.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The list an `encodedList` holds; at most `maximumBytes` after decompression (a GZIP bomb is refused).
    public static func decode(_ encodedList: String, maximumBytes: Int = 16 * 1024 * 1024) throws(DecodingError) -> BitstringStatusList {
        guard encodedList.hasPrefix("u"), let compressed = Base64URL.decode(encodedList.dropFirst()), !compressed.isEmpty else {
            throw DecodingError(message: "encodedList is not multibase base64url (u…)")
        }
        var buffer = ByteBuffer(bytes: compressed)
        do {
            let bits = try buffer.decompress(with: .gzip(), maxSize: maximumBytes)
            return BitstringStatusList(bytes: Array(bits.readableBytesView))
        } catch {
            throw DecodingError(message: "encodedList is not GZIP data of at most \(maximumBytes) bytes: \(error)")
        }
    }
}
