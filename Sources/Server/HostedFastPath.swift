import Basics
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers GET requests for the public documents on the connection's I/O thread, before Hummingbird's
/// request handling: a verifier's fetch of a hosted assertion, a credential, a key or a status list is
/// parsed, looked up and written in one step, with the same bytes and headers as the router's `**` route
/// gives (``PublicDocuments/cachedDocument(at:ifNoneMatch:)`` answers from what that route keeps in memory).
/// On two cores the hand-over to Swift concurrency and back cost about half of what answering such a
/// request takes. Nothing here reads the store: it would block the event loop.
///
/// Everything else is passed on unchanged: other methods, paths that are not a public document kept in
/// memory (pages, the API, not found, a credential not asked for before or whose status may have changed),
/// requests asking to close the connection, and any request that arrives while an
/// earlier one on the same connection is still being answered by the router (so answers keep the order
/// of the requests when a client pipelines them).
final class HostedFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let documents: PublicDocuments
    private let server: HTTPField
    private let logger: Logger
    /// Requests passed on whose answer has not yet been written.
    private var passedOn = 0
    /// The request being passed on part by part (its head went to the router).
    private var passing = false
    /// The answer to the request whose head was taken here, written when its end arrives.
    private var answer: Answer?
    private var needsFlush = false
    private var date = HTTPDate()

    init(documents: PublicDocuments, serverName: String, logger: Logger) {
        self.documents = documents
        server = HTTPField(name: .server, value: serverName)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            if passedOn == 0, let found = take(head) {
                answer = found
            } else {
                passedOn += 1
                passing = true
                context.fireChannelRead(data)
            }
        case .body:
            if passing { context.fireChannelRead(data) }  // a GET's body, if any, is ignored here as by the router
        case .end:
            if passing {
                passing = false
                context.fireChannelRead(data)
            } else if let answer {
                self.answer = nil
                context.write(wrapOutboundOut(.head(answer.response)), promise: nil)
                if let body = answer.body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(body)), promise: nil) }
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
                needsFlush = true
                if let started = answer.started { log(answer, started: started) }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // (An answer the router writes to a request it never got, such as 400 for one that could not be
        // read, does not count.)
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    /// An answer made here: the response head, the body (none for 304), and for the debug log the path
    /// and when it was asked.
    private struct Answer {
        var response: HTTPResponse
        var body: ByteBuffer?
        var path: String
        var started: ContinuousClock.Instant?
    }

    /// The answer to `head` if it is a GET of a public document this server has; nil: pass it on.
    private func take(_ head: HTTPRequest) -> Answer? {
        guard head.method == .get, let path = head.path, !path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") }),
            !Self.asksToClose(head.headerFields)
        else { return nil }
        let started = logger.logLevel <= .debug ? ContinuousClock.now : nil
        // Only what is in memory; the router answers the rest (reading the store without blocking this loop).
        guard let found = documents.cachedDocument(at: path, ifNoneMatch: head.headerFields[.ifNoneMatch]) else { return nil }
        var fields = found.headers
        fields.append(date.now())
        fields.append(server)
        return Answer(response: HTTPResponse(status: found.status, headerFields: fields), body: found.body, path: path, started: started)
    }

    static func asksToClose(_ fields: HTTPFields) -> Bool {
        guard let connection = fields[.connection] else { return false }
        return connection.lowercased().contains("close")
    }

    /// The line the access log middleware writes for the router's answers (the path has no query here).
    private func log(_ answer: Answer, started: ContinuousClock.Instant) {
        let taken = ContinuousClock.now - started
        let milliseconds = Double(taken.components.seconds) * 1000 + Double(taken.components.attoseconds) / 1e15
        logger.debug("GET \(answer.path) \(answer.response.status.code) \(String(format: "%.1f", milliseconds)) ms")
    }
}

/// The `Date` header (RFC 9110 IMF-fixdate), made again when the second changes.
struct HTTPDate {
    private var second = Int.min
    private var field = HTTPField(name: .date, value: "")

    mutating func now() -> HTTPField {
        let current = Int(Date().timeIntervalSince1970)
        if current != second {
            second = current
            field = HTTPField(name: .date, value: Self.format(current))
        }
        return field
    }

    /// "Wed, 02 Dec 2026 16:19:09 GMT" for seconds since 1970.
    static func format(_ seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[weekday]), \(two(day)) \(months[month - 1]) \(year) \(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60)) GMT"
    }
}
