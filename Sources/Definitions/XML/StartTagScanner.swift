/// Finds the byte offset of every start tag of a well-formed XML text, in document order.
///
/// libxml2 2.9 records only the line of each node; Merkisto promises line *and* column, so the loader pairs
/// libxml2's elements (in document order) with these offsets. Comments, CDATA sections, processing
/// instructions and end tags are skipped; attribute values cannot contain `<`, so every other `<` opens
/// a start tag.
enum StartTagScanner {
    static func startTagOffsets(in bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var index = 0
        let count = bytes.count
        let lt = UInt8(ascii: "<")

        func skip(past terminator: [UInt8], from start: Int) -> Int {
            var position = start
            while position + terminator.count <= count {
                if bytes[position] == terminator[0], Array(bytes[position..<position + terminator.count]) == terminator {
                    return position + terminator.count
                }
                position += 1
            }
            return count
        }

        while index < count {
            guard bytes[index] == lt, index + 1 < count else {
                index += 1
                continue
            }
            let next = bytes[index + 1]
            if next == UInt8(ascii: "!") {
                if index + 3 < count, bytes[index + 2] == UInt8(ascii: "-"), bytes[index + 3] == UInt8(ascii: "-") {
                    index = skip(past: Array("-->".utf8), from: index + 4)
                } else if index + 8 < count, Array(bytes[index + 2..<index + 9]) == Array("[CDATA[".utf8) {
                    index = skip(past: Array("]]>".utf8), from: index + 9)
                } else {
                    index = skip(past: [UInt8(ascii: ">")], from: index + 2)
                }
            } else if next == UInt8(ascii: "?") {
                index = skip(past: Array("?>".utf8), from: index + 2)
            } else if next == UInt8(ascii: "/") {
                index = skip(past: [UInt8(ascii: ">")], from: index + 2)
            } else {
                offsets.append(index)
                index += 1
            }
        }
        return offsets
    }
}
