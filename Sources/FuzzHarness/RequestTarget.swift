import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Server

/// An HTTP/1.1 request as text: `METHOD /target HTTP/1.1`, header lines, a blank line, the body. Before it
/// is read, placeholders are replaced with the demo world's values (``Fixtures/World/placeholders``), so
/// that inputs can be signed in: `{{session}}` and `{{csrf}}` (an instructor's session), `{{client-session}}`
/// and `{{client-csrf}}`, `{{token}}` (an admin's API token), `{{client}}`, `{{credential}}`.
///
/// What NIO's HTTP parser would refuse before the router sees it (control bytes in the target or a header,
/// a header name that is not a token) is skipped.
enum RequestTarget {
    static func responder() async throws -> RouterResponder<MerkistoRequestContext> {
        try await responderOnce.value
    }

    private static let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    private static let responderOnce = Once {
        let world = try await Fixtures.world()
        return try await MerkistoServer.application(service: world.service, logger: logger).responder
    }

    static func run(_ input: [UInt8]) async throws {
        guard let (request, status) = try await answer(input) else { return }
        if status.code >= 500 {
            throw FuzzTarget.request.finding("\(request.method) \(request.uri) was answered \(status.code)")
        }
    }

    /// The request in `input` (placeholders replaced) and the status the router answers it with; nil when
    /// it is not a request NIO would pass on.
    static func answer(_ input: [UInt8]) async throws -> (Request, HTTPResponse.Status)? {
        let world = try await Fixtures.world()
        var bytes = input
        for (placeholder, value) in world.placeholders { bytes = replacing(Array(placeholder.utf8), with: Array(value.utf8), in: bytes) }
        guard let request = parse(bytes) else { return nil }
        let context = MerkistoRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        let status: HTTPResponse.Status
        do {
            let response = try await responder().respond(to: request, context: context)
            status = response.status
        } catch let error as any HTTPResponseError {
            status = error.status
        }
        return (request, status)
    }

    /// The request in `bytes`, or nil when NIO would not let it through.
    static func parse(_ bytes: [UInt8]) -> Request? {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        var bodyStart = bytes.count
        while index < bytes.count {
            if bytes[index] == 0x0A {
                var line = bytes[start..<index]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty, !lines.isEmpty {
                    bodyStart = index + 1
                    break
                }
                lines.append(line)
                start = index + 1
            }
            index += 1
        }
        if index == bytes.count, start < bytes.count { lines.append(bytes[start...]) }
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: 0x20, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts.count <= 3,
            let method = HTTPRequest.Method(String(decoding: parts[0], as: UTF8.self)),
            parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F })
        else { return nil }
        var fields = HTTPFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                let name = HTTPField.Name(String(decoding: line[line.startIndex..<colon], as: UTF8.self))
            else { return nil }
            let value = line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else { return nil }
            fields.append(HTTPField(name: name, value: String(decoding: value, as: UTF8.self)))
        }
        let body = bytes[bodyStart...]
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let head = HTTPRequest(
            method: method, scheme: "http", authority: "127.0.0.1:8080", path: String(decoding: parts[1], as: UTF8.self), headerFields: fields)
        return Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
    }

    static func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard let first = pattern.first, bytes.count >= pattern.count else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == first, index + pattern.count <= bytes.count, bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                output.append(contentsOf: replacement)
                index += pattern.count
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }
}
