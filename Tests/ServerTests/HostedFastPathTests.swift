import Credentials
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Server

/// RFC 9110's IMF-fixdate read and written by Foundation's formatter: an implementation independent of ours.
enum HTTPDateFormat {
    static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()

    @Sendable static func parse(_ text: String) -> Date? { formatter.date(from: text) }
}

@Suite("Public documents answered before the router")
struct HostedFastPathTests {
    @Test("the Date header is RFC 9110's IMF-fixdate, as Foundation's formatter writes it")
    func dates() {
        var generator = SystemRandomNumberGenerator()
        let edges = [0, -1, 86_399, 86_400, 951_782_400, 951_868_800, 4_107_542_400, -2_208_988_800, 1_796_228_109]
        // 1900 to 2200, leap days and turns of centuries included.
        let seconds = edges + (0..<3_000).map { _ in Int.random(in: -2_208_988_800...7_258_118_400, using: &generator) }
        for second in seconds {
            #expect(HTTPDate.format(second) == HTTPDateFormat.formatter.string(from: Date(timeIntervalSince1970: TimeInterval(second))), "\(second)")
        }
    }

    /// A connection with the fast path in front of a handler that stands for the router. The embedded
    /// channel is used from the thread that made it: make it after the last `await`.
    final class Connection {
        let channel = EmbeddedChannel()
        let world: DemoWorld
        let documents: PublicDocuments

        init(_ world: DemoWorld, _ documents: PublicDocuments) throws {
            self.world = world
            self.documents = documents
            try channel.pipeline.syncOperations.addHandler(HostedFastPath(documents: documents, serverName: "merkisto", logger: Logger(label: "test")))
        }

        deinit { world.cleanup() }

        /// The demo world's public documents; the stored ones the router has answered (`asked`) are kept in
        /// memory, as after a verifier's first fetch.
        static func documents(_ world: DemoWorld, asked paths: [String]) async throws -> PublicDocuments {
            let site = try HostedSite(service: world.service)
            let documents = PublicDocuments(site: site, stored: StoredDocuments(service: world.service, layout: site.layout, revocationCheck: .seconds(3600)))
            for path in paths { _ = try await documents.document(at: path, ifNoneMatch: nil) }
            return documents
        }

        func request(_ path: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) throws {
            try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: headers)))
            try channel.writeInbound(HTTPRequestPart.end(nil))
        }

        /// The request parts the router got since the last call.
        func passedOn() throws -> [HTTPRequestPart] {
            var parts: [HTTPRequestPart] = []
            while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
            return parts
        }

        /// The answers written since the last call: status and body of each.
        func answers() throws -> [(HTTPResponse, ByteBuffer)] {
            var answers: [(HTTPResponse, ByteBuffer)] = []
            var body = ByteBuffer()
            while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
                switch part {
                case .head(let head): answers.append((head, ByteBuffer()))
                case .body(var chunk): body.writeBuffer(&chunk)
                case .end:
                    answers[answers.count - 1].1 = body
                    body = ByteBuffer()
                }
            }
            return answers
        }

        /// The router's answer, written back through the pipeline.
        func routerAnswers(_ status: HTTPResponse.Status) throws {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: status)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
    }

    @Test("a public document is answered with its bytes and headers; anything else goes to the router unchanged")
    func answersOrPassesOn() async throws {
        let world = try await DemoWorld()
        let published = try await world.published()
        let path = try #require(published.keys.first { $0.hasPrefix("ob2/assertions/") })
        let connection = try Connection(world, try await Connection.documents(world, asked: ["/" + path]))
        try connection.request("/" + path)
        #expect(try connection.passedOn().isEmpty)
        let answers = try connection.answers()
        try #require(answers.count == 1)
        #expect(answers[0].0.status == .ok)
        #expect(Data(answers[0].1.readableBytesView) == published[path])
        #expect(answers[0].0.headerFields[.contentLength] == String(published[path]!.count))
        #expect(answers[0].0.headerFields[.contentType] == "application/json")
        #expect(answers[0].0.headerFields[.server] == "merkisto")
        #expect(answers[0].0.headerFields[.date].flatMap(HTTPDateFormat.parse) != nil)

        // A validator the client has: 304 without a body.
        let etag = try #require(answers[0].0.headerFields[.eTag])
        try connection.request("/" + path, headers: [.ifNoneMatch: etag])
        let notModified = try connection.answers()
        #expect(notModified.map(\.0.status) == [.notModified])
        #expect(notModified.first?.1.readableBytes == 0)
        #expect(notModified.first?.0.headerFields[.contentLength] == nil)

        // Other methods, pages, unknown paths, queries, escapes and requests to close go to the router.
        let others: [(String, HTTPRequest.Method, HTTPFields)] = [
            ("/" + path, .head, [:]), ("/" + path, .post, [:]), ("/signin", .get, [:]), ("/nothing-here", .get, [:]),
            ("/" + path + "?x=1", .get, [:]), ("/" + path.replacingOccurrences(of: "/", with: "%2F"), .get, [:]),
            ("/" + path, .get, [.connection: "close"]),
        ]
        for (uri, method, headers) in others {
            try connection.request(uri, method: method, headers: headers)
            let parts = try connection.passedOn()
            #expect(parts.count == 2, "\(method) \(uri)")
            if case .head(let head) = parts.first { #expect(head.path == uri && head.method == method) } else { Issue.record("no head for \(uri)") }
            #expect(try connection.answers().isEmpty, "\(method) \(uri)")
            try connection.routerAnswers(.notFound)
            #expect(try connection.answers().map(\.0.status) == [.notFound])
        }
    }

    @Test("a stored document not yet asked for goes to the router, which reads the store; the event loop never does")
    func storedDocumentsFirstGoToTheRouter() async throws {
        let world = try await DemoWorld()
        let path = try #require(try await world.published().keys.first { $0.hasPrefix("ob2/assertions/") })
        let connection = try Connection(world, try await Connection.documents(world, asked: []))
        try connection.request("/" + path)
        #expect(try connection.passedOn().count == 2)
        #expect(try connection.answers().isEmpty)
        // The lasting documents (keys, profiles, images) are in memory from the start.
        try connection.routerAnswers(.ok)
        _ = try connection.answers()
        try connection.request("/" + connection.documents.site.layout.jwksPath)
        #expect(try connection.passedOn().isEmpty)
        #expect(try connection.answers().map(\.0.status) == [.ok])
    }

    @Test("while the router is still answering, later requests wait for it: answers keep the order of the requests")
    func pipelinedRequestsKeepTheirOrder() async throws {
        let world = try await DemoWorld()
        let path = try #require(try await world.published().keys.first { $0.hasPrefix("ob2/assertions/") })
        let connection = try Connection(world, try await Connection.documents(world, asked: ["/" + path]))
        try connection.request("/signin")  // the router's
        try connection.request("/" + path)  // a document, asked before the first answer
        // Both went to the router: the document is not answered ahead of the page.
        #expect(try connection.passedOn().count == 4)
        #expect(try connection.answers().isEmpty)
        try connection.routerAnswers(.seeOther)
        try connection.routerAnswers(.ok)
        #expect(try connection.answers().map(\.0.status) == [.seeOther, .ok])
        // With nothing in flight, documents are answered here again.
        try connection.request("/" + path)
        #expect(try connection.passedOn().isEmpty)
        #expect(try connection.answers().map(\.0.status) == [.ok])
    }
}
