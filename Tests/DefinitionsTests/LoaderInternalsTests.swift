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
}
