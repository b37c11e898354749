import Basics
import Foundation
import Testing

@testable import Definitions

@Suite("The loader's own small parts")
struct LoaderInternalsTests {
    @Test("paths are standardized as URL.standardizedFileURL does")
    func standardizedPaths() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["a", "b", "images", "x.svg", ".", "..", "", "...", ".hidden", "ä ö", "a.b"]
        var cases = ["/", "//", "/..", "/../..", "/a/..", "/a/./b/", "/a//b", "/a/b/../../..", "/./", "/a/b/.."]
        for _ in 0..<5_000 {
            cases.append("/" + (0..<Int.random(in: 1...7, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined(separator: "/"))
        }
        for path in cases {
            #expect(FilePaths.standardized(path, in: "/") == URL(fileURLWithPath: path).standardizedFileURL.path, "\(path)")
        }
        // Relative paths are taken from the working directory given.
        for _ in 0..<2_000 {
            let directory = "/" + (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined(separator: "/")
            let path = (0..<Int.random(in: 1...5, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined(separator: "/")
            guard !path.hasPrefix("/") else { continue }
            #expect(FilePaths.standardized(path, in: directory) == FilePaths.standardized(directory + "/" + path, in: "/"), "\(directory) \(path)")
        }
        #expect(FilePaths.standardized("badges/../images/x.svg", in: "/work/defs") == "/work/defs/images/x.svg")
        #expect(FilePaths.directory(of: "badges/b.xml", in: "/work/defs") == "/work/defs/badges")
        #expect(FilePaths.directory(of: "/b.xml", in: "/work") == "/")
    }

    @Test("the encoding an XML declaration names is found, after a byte order mark too")
    func declaredEncoding() {
        let declared: [(String, String?)] = [
            (#"<?xml version="1.0" encoding="UTF-8"?><a/>"#, "UTF-8"),
            (#"<?xml version="1.0" encoding='iso-8859-1' ?><a/>"#, "iso-8859-1"),
            (#"<?xml version="1.0" encoding = "windows-1252"?>"#, "windows-1252"),
            (#"<?xml version="1.0"?><a encoding="x"/>"#, nil),
            (#"<a/>"#, nil),
            ("", nil),
        ]
        for (text, expected) in declared {
            #expect(SafeXMLParser.declaredEncoding(in: Array(text.utf8)) == expected, "\(text)")
            #expect(SafeXMLParser.declaredEncoding(in: [0xEF, 0xBB, 0xBF] + Array(text.utf8)) == expected, "BOM + \(text)")
        }
    }

    @Test("the first invalid UTF-8 byte is found where the standard library's decoding first fails")
    func firstInvalidUTF8() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...24, using: &random)).map { _ in
                Bool.random(using: &random) ? UInt8.random(in: 0x20...0x7E, using: &random) : UInt8.random(in: 0x80...0xFF, using: &random)
            }
            let offset = bytes.withUnsafeBufferPointer { UTF8Check.firstInvalidOffset($0) }
            guard let offset else {
                #expect(String(validating: bytes, as: UTF8.self) != nil, "\(bytes)")
                continue
            }
            // Valid up to it, and no valid sequence starts there.
            #expect(String(validating: bytes[..<offset], as: UTF8.self) != nil, "\(bytes)")
            #expect((1...4).allSatisfy { String(validating: bytes[offset..<min(offset + $0, bytes.count)], as: UTF8.self) == nil }, "\(bytes)")
        }
    }

    @Test("one parser reads many files, valid and not, as fresh parsers do")
    func parserReuse() throws {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".xml") }.sorted()
        #expect(files.count > 10)
        let parser = SafeXMLParser()
        // Twice over, so that every file also follows every other kind of outcome.
        for path in files + files.reversed() {
            let reused = parser.parseFile(atPath: folder + "/" + path, displayPath: path)
            let fresh = SafeXMLParser.parseFile(atPath: folder + "/" + path, displayPath: path)
            #expect(reused.diagnostics == fresh.diagnostics, "\(path)")
            #expect(reused.kind == fresh.kind, "\(path)")
            #expect(reused.isValid == fresh.isValid, "\(path)")
        }
    }

    @Test("an item reference splits as split(separator: \"/\", maxSplits: 1) splits it")
    func itemReferences() {
        var random = SystemRandomNumberGenerator()
        var cases = ["", "/", "//", "a", "a/", "/a", "a/b", "a//b", "//a/b/c", "tk/k1", "ä/ö/å"]
        for _ in 0..<5_000 {
            cases.append((0..<Int.random(in: 0...6, using: &random)).map { _ in ["/", "a", "bc", "", "é"].randomElement(using: &random)! }.joined())
        }
        for reference in cases {
            let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
            let split = ModelBuilder.instrumentAndItem(reference)
            #expect(split.instrument == (parts.first ?? ""), "\(reference)")
            #expect(split.item == (parts.count > 1 ? parts[1] : ""), "\(reference)")
        }
    }

    @Test("file names sort by their bytes as < sorts them in composed form")
    func pathsSortedByBytes() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["a", "b", "B", "-", "_", "0", "9", "ä", "ö", "å", "z", "/", ".xml", "aa"]
        for _ in 0..<500 {
            let names = (0..<Int.random(in: 0...20, using: &random)).map { _ in
                (0..<Int.random(in: 0...5, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            }
            #expect(FilePaths.sortedByBytes(names) == names.sorted(), "\(names)")
        }
    }

    @Test("start tags are found past comments, CDATA, instructions and end tags, as byte-by-byte matching finds them")
    func startTags() {
        // The matching the scanner did before it looked for terminators with memchr.
        func reference(_ text: [UInt8]) -> [Int] {
            func skip(past terminator: String, from start: Int) -> Int {
                let pattern = Array(terminator.utf8)
                var position = start
                while position + pattern.count <= text.count {
                    if Array(text[position..<(position + pattern.count)]) == pattern { return position + pattern.count }
                    position += 1
                }
                return text.count
            }
            var offsets: [Int] = []
            var index = 0
            while index < text.count {
                guard let found = text[index...].firstIndex(of: UInt8(ascii: "<")) else { break }
                index = found
                guard index + 1 < text.count else { break }
                let next = text[index + 1]
                if next == UInt8(ascii: "!") {
                    if index + 3 < text.count, text[index + 2] == UInt8(ascii: "-"), text[index + 3] == UInt8(ascii: "-") {
                        index = skip(past: "-->", from: index + 4)
                    } else if index + 8 < text.count, Array(text[(index + 2)..<(index + 9)]) == Array("[CDATA[".utf8) {
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
        var random = SystemRandomNumberGenerator()
        let pieces = ["<a>", "</a>", "<b x='1'/>", "<!-- c -->", "<!-->", "-->", "--", "-", ">", "]]", "]]>", "]", "<![CDATA[", "<!D>",
            "<?p ?>", "?", "?>", "<", "<!", "<!-", "<?", "</", "text", "ä", "\n"]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let bytes = Array(text.utf8)
            #expect(StartTagScanner.startTagOffsets(in: bytes) == reference(bytes), "\(text)")
        }
    }
}
