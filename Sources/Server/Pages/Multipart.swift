import Foundation
import HTTPTypes
import NIOCore

// multipart/form-data (RFC 7578 over RFC 2046 §5.1), for the verification page's upload. Our own reader:
// MultipartKit 4.7.1, the version we can use, traps on a byte above 127 in a part's header name, so one
// request could stop the server (found by the `request` fuzz target; docs/decisions/0005).

/// One part of a multipart body: its headers (names in lower case) and content.
struct FormPart: Equatable {
    var headers: [(name: String, value: String)]
    var body: ArraySlice<UInt8>

    static func == (a: FormPart, b: FormPart) -> Bool {
        a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value) && a.body == b.body
    }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// A parameter of the `Content-Disposition` header (`name`, `filename`), unquoted.
    func disposition(_ parameter: String) -> String? {
        guard let header = header("content-disposition") else { return nil }
        return MultipartReader.parameters(of: header)[parameter]
    }
}

enum MultipartReader {
    /// At most this many parts, and header lines in all, are read: a form has a few.
    static let maximumParts = 64
    static let maximumHeaderLines = 256

    struct Malformed: Error {
        var reason: String
    }

    /// The parts of `bytes`, a multipart body with `boundary`.
    static func parts(_ bytes: [UInt8], boundary: String) throws(Malformed) -> [FormPart] {
        let boundaryBytes = Array(boundary.utf8)
        // RFC 2046: 1 to 70 characters, none of them a line break.
        guard !boundaryBytes.isEmpty, boundaryBytes.count <= 70, !boundaryBytes.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
            throw Malformed(reason: "the boundary is not 1 to 70 characters on one line")
        }
        let dashBoundary = Array("--".utf8) + boundaryBytes
        let delimiter = [0x0D, 0x0A] + dashBoundary
        // The first boundary: at the very start, or after a preamble that ends with a line break.
        var position: Int
        if bytes.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: bytes, from: 0) {
            position = found + delimiter.count
        } else {
            throw Malformed(reason: "the body has no boundary")
        }
        var parts: [FormPart] = []
        var headerLines = 0
        while true {
            // After a boundary: "--" ends the body; otherwise optional white space, then a line break.
            if bytes[position...].starts(with: [0x2D, 0x2D]) { return parts }
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            guard bytes[position...].starts(with: [0x0D, 0x0A]) else { throw Malformed(reason: "a boundary is not followed by a line break") }
            position += 2
            guard parts.count < maximumParts else { throw Malformed(reason: "too many parts") }
            // Header lines up to an empty line.
            var headers: [(name: String, value: String)] = []
            while true {
                guard let end = find([0x0D, 0x0A], in: bytes, from: position) else { throw Malformed(reason: "a part's headers do not end") }
                if end == position {
                    position += 2
                    break
                }
                headerLines += 1
                guard headerLines <= maximumHeaderLines else { throw Malformed(reason: "too many header lines") }
                headers.append(try header(bytes[position..<end]))
                position = end + 2
            }
            // The content runs up to the next delimiter.
            guard let end = find(delimiter, in: bytes, from: position) else { throw Malformed(reason: "a part does not end with a boundary") }
            parts.append(FormPart(headers: headers, body: bytes[position..<end]))
            position = end + delimiter.count
        }
    }

    /// One header line: a token name (ASCII letters, digits and `!#$%&'*+-.^_`|~`), a colon, a value in
    /// UTF-8.
    private static func header(_ line: ArraySlice<UInt8>) throws(Malformed) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(isTokenByte)
        else { throw Malformed(reason: "a part has a header line that is not a header") }
        let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
        guard let value = String(validating: line[(colon + 1)...], as: UTF8.self) else {
            throw Malformed(reason: "a part's header is not UTF-8")
        }
        return (name, value.trimmingCharacters(in: CharacterSet(charactersIn: " \t")))
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// The parameters of a header value such as `form-data; name="a"; filename="b.png"` (names in lower
    /// case; quoted values unescaped).
    static func parameters(of value: String) -> [String: String] {
        var result: [String: String] = [:]
        var characters = Substring(value)
        // Skip the value itself (up to the first ';').
        guard let first = characters.firstIndex(of: ";") else { return result }
        characters = characters[characters.index(after: first)...]
        while !characters.isEmpty {
            characters = characters.drop { $0 == " " || $0 == "\t" }
            let name = characters.prefix { $0 != "=" && $0 != ";" }
            characters = characters.dropFirst(name.count)
            var parameterValue = ""
            if characters.first == "=" {
                characters = characters.dropFirst()
                if characters.first == "\"" {
                    characters = characters.dropFirst()
                    var escaped = false
                    while let character = characters.first {
                        characters = characters.dropFirst()
                        if escaped {
                            parameterValue.append(character)
                            escaped = false
                        } else if character == "\\" {
                            escaped = true
                        } else if character == "\"" {
                            break
                        } else {
                            parameterValue.append(character)
                        }
                    }
                    characters = characters.drop { $0 != ";" }
                } else {
                    let raw = characters.prefix { $0 != ";" }
                    parameterValue = raw.trimmingCharacters(in: .whitespaces)
                    characters = characters.dropFirst(raw.count)
                }
            }
            let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            if !key.isEmpty, result[key] == nil { result[key] = parameterValue }
            if characters.first == ";" { characters = characters.dropFirst() }
        }
        return result
    }

    /// The first place at or after `start` where `pattern` begins.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first, start <= bytes.count - pattern.count else { return nil }
        var index = start
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first, bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }
}

extension SubmittedForm {
    /// Reads a `multipart/form-data` body: parts with a file name are files, the others fields (the first of
    /// each name counts).
    static func multipart(_ buffer: ByteBuffer, contentType: String) throws -> SubmittedForm {
        let refused = PageRefusal(status: .badRequest, message: "")
        guard let boundary = MultipartReader.parameters(of: contentType)["boundary"], !boundary.isEmpty,
            let parts = try? MultipartReader.parts(Array(buffer.readableBytesView), boundary: boundary)
        else { throw refused }
        var form = SubmittedForm()
        for part in parts {
            guard let name = part.disposition("name") else { continue }
            if let filename = part.disposition("filename") {
                if form.files[name] == nil { form.files[name] = Array(part.body) }
                form.uploads.append((name, filename, Array(part.body)))
            } else if form.fields[name] == nil {
                form.fields[name] = String(decoding: part.body, as: UTF8.self)
            }
        }
        return form
    }
}
