import Basics
import Foundation
import MultipartKit
import NIOCore
@testable import Server
import Testing

/// Our multipart reader against MultipartKit's parser on generated forms, and on what made MultipartKit trap.
@Suite("multipart/form-data")
struct MultipartTests {

    /// MultipartKit's parts of a body (headers in order, names lower-cased), or nil when it refuses it.
    static func referenceParts(_ body: [UInt8], boundary: String) -> [Server.FormPart]? {
        final class Collected {
            var parts: [Server.FormPart] = []
            var headers: [(name: String, value: String)] = []
            var body: [UInt8] = []
        }
        let collected = Collected()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collected.headers.append((name.lowercased(), value)) }
        parser.onBody = { chunk in collected.body += chunk.readableBytesView }
        parser.onPartComplete = {
            collected.parts.append(Server.FormPart(headers: collected.headers, body: ArraySlice(collected.body)))
            collected.headers = []
            collected.body = []
        }
        do { try parser.execute(ByteBuffer(bytes: body)) } catch { return nil }
        return collected.parts
    }

    @Test("2,000 generated forms read as MultipartKit reads them")
    func differential() throws {
        var random = SplitMix64(seed: 11)
        let alphabet = Array("abcXYZ019-_.".utf8)
        for round in 0..<2_000 {
            let boundary = "----b" + String(random.next(), radix: 36)
            var body: [UInt8] = []
            if random.below(4) == 0 { body += Array("a preamble\r\n".utf8) }
            var expected: [[UInt8]] = []
            for index in 0..<(1 + random.below(4)) {
                body += Array("--\(boundary)\r\n".utf8)
                let name = String(decoding: (0..<(1 + random.below(8))).map { _ in alphabet[random.below(alphabet.count)] }, as: UTF8.self)
                let file = random.below(2) == 0
                body += Array("Content-Disposition: form-data; name=\"\(name)\(index)\"\(file ? "; filename=\"f \(index).png\"" : "")\r\n".utf8)
                if file { body += Array("Content-Type: image/png\r\n".utf8) }
                body += Array("\r\n".utf8)
                // Any bytes, with line breaks and dashes now and then (but never the boundary).
                let content: [UInt8] = (0..<random.below(300)).map { _ in
                    switch random.below(10) {
                    case 0: 0x0D
                    case 1: 0x0A
                    case 2: 0x2D
                    default: UInt8(random.below(256))
                    }
                }
                expected.append(content)
                body += content + Array("\r\n".utf8)
            }
            body += Array("--\(boundary)--\r\n".utf8)
            let ours = try MultipartReader.parts(body, boundary: boundary)
            let theirs = try #require(Self.referenceParts(body, boundary: boundary), "round \(round)")
            #expect(ours == theirs, "round \(round)")
            #expect(ours.map { Array($0.body) } == expected, "round \(round)")
        }
    }

    @Test("a form's fields and files; the first of a name counts; parameters quoted or not")
    func form() throws {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"credential\"\r\n\r\neyJ.e30.c2ln\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=credential\r\n\r\nsecond\r\n"
            + "--XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".svg\"\r\n\r\n<svg/>\r\n--XyZ--\r\n"
        let form = try SubmittedForm.multipart(ByteBuffer(string: body), contentType: "multipart/form-data; boundary=XyZ")
        #expect(form.fields == ["credential": "eyJ.e30.c2ln"])
        #expect(form.files == ["file": Array("<svg/>".utf8)])
        let parts = try MultipartReader.parts(Array(body.utf8), boundary: "XyZ")
        #expect(parts[2].disposition("filename") == "a \"b\".svg")
    }

    @Test("bodies that are not multipart are refused, never trapped on", arguments: [
        // A byte above 127 in a header name: MultipartKit 4.7.1 traps on this (found by the fuzzer).
        "--XyZ\r\nContent-Typ\u{FF}: x\r\n\r\nbody\r\n--XyZ--\r\n",
        "--XyZ\r\nno colon here\r\n\r\nbody\r\n--XyZ--\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever ends",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"",
        "no boundary at all",
        "--XyZ",
        "",
    ])
    func refused(_ body: String) {
        #expect(throws: PageRefusal.self) { try SubmittedForm.multipart(ByteBuffer(string: body), contentType: "multipart/form-data; boundary=XyZ") }
    }

    @Test("a boundary must be 1 to 70 characters")
    func boundaries() {
        #expect(throws: PageRefusal.self) { try SubmittedForm.multipart(ByteBuffer(string: "--\r\n"), contentType: "multipart/form-data; boundary=\"\"") }
        let long = String(repeating: "b", count: 71)
        #expect(throws: PageRefusal.self) {
            try SubmittedForm.multipart(ByteBuffer(string: "--\(long)\r\n\r\nx\r\n--\(long)--"), contentType: "multipart/form-data; boundary=\(long)")
        }
    }
}

extension SplitMix64 {
    /// A number in 0..<n (the test's own use: n is small, the slight bias does not matter).
    fileprivate mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
