import Foundation

/// Finds the byte offset of every start tag of a well-formed XML text, in document order.
///
/// libxml2 2.9 records only the line of each node; Merkisto promises line *and* column, so the loader pairs
/// libxml2's elements (in document order) with these offsets. Comments, CDATA sections, processing
/// instructions and end tags are skipped; attribute values cannot contain `<`, so every other `<` opens
/// a start tag.
enum StartTagScanner {
    static func startTagOffsets(in bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBufferPointer { bytes in
            var offsets: [Int] = []
            let count = bytes.count
            guard let base = bytes.baseAddress else { return offsets }

            /// The offset just past the next `terminator` at or after `start`, or the end; its first byte is
            /// looked for with memchr (an end tag's `>` is a few bytes on).
            func skip(past terminator: StaticString, from start: Int) -> Int {
                let length = terminator.utf8CodeUnitCount
                let pattern = terminator.utf8Start
                var position = start
                while position + length <= count {
                    guard let found = memchr(base + position, Int32(pattern[0]), count - position) else { return count }
                    position = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                    guard position + length <= count else { return count }
                    if length == 1 || memcmp(base + position + 1, pattern + 1, length - 1) == 0 { return position + length }
                    position += 1
                }
                return count
            }

            var index = 0
            while index < count {
                // The next `<`, found by memchr.
                guard let found = memchr(base + index, Int32(UInt8(ascii: "<")), count - index) else { break }
                index = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                guard index + 1 < count else { break }
                let next = bytes[index + 1]
                if next == UInt8(ascii: "!") {
                    if index + 3 < count, bytes[index + 2] == UInt8(ascii: "-"), bytes[index + 3] == UInt8(ascii: "-") {
                        index = skip(past: "-->", from: index + 4)
                    } else if index + 8 < count, memcmp(base + index + 2, ("[CDATA[" as StaticString).utf8Start, 7) == 0 {
                        index = skip(past: "]]>", from: index + 9)
                    } else {
                        index = skip(past: ">", from: index + 2)
                    }
                } else if next == UInt8(ascii: "?") {
                    index = skip(past: "?>", from: index + 2)
                } else if next == UInt8(ascii: "/") {
                    index = skip(past: ">", from: index + 2)
                } else {
                    offsets.append(index)
                    index += 1
                }
            }
            return offsets
        }
    }
}
