import Basics
import Credentials
import Definitions
import Foundation
import Logging
import MerkistoCore
import OpenAPIRuntime
import Hummingbird
import NIOCore

/// An RFC 9457 problem document (`application/problem+json`), in the language the request asked for.
struct Problem: Sendable {
    var status: HTTPResponse.Status
    var title: String
    var detail: String?
    var problems: [String] = []

    /// The text of a key of the error table (``CoreError/table``).
    static func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        CoreError.table.text(key, language, arguments)
    }

    static func notFound(_ language: Language) -> Problem {
        Problem(status: .notFound, title: text("problem.notFound", language), detail: text("problem.notFound.detail", language))
    }

    static func failure(_ language: Language) -> Problem {
        Problem(status: .internalServerError, title: text("problem.failure", language), detail: text("problem.failure.detail", language))
    }

    static func tooLarge(_ limit: Int, _ language: Language) -> Problem {
        Problem(
            status: .contentTooLarge, title: text("problem.tooLarge", language),
            detail: text("problem.tooLarge.detail", language, ["size": size(limit, language)]))
    }

    /// A size for people: whole megabytes, or kilobytes below one (Finnish writes Mt and kt).
    static func size(_ bytes: Int, _ language: Language) -> String {
        let finnish = language == .fi
        return bytes >= 1 << 20 ? "\(bytes >> 20) \(finnish ? "Mt" : "MB")" : "\(bytes >> 10) \(finnish ? "kt" : "kB")"
    }

    /// A text with every absolute path of the server's files (two segments or more, such as the key folder
    /// a key store names) cut to its last segment: `…/keys`. A problem document never shows where the
    /// server keeps its files. URLs and JSON paths are left as they are.
    static func withoutServerPaths(_ text: String) -> String {
        guard text.contains("/") else { return text }
        let ends: Set<Character> = [" ", "\n", "\t", ";", ",", ")", "\"", "'", "`"]
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let before = index == text.startIndex ? " " : text[text.index(before: index)]
            if character == "/", [" ", "(", "\"", "'", "`", "\n"].contains(before) {
                let end = text[index...].firstIndex(where: ends.contains) ?? text.endIndex
                let path = text[index..<end]
                let segments = path.split(separator: "/")
                if segments.count >= 2 {
                    result += "…/" + segments[segments.count - 1]
                    index = end
                    continue
                }
            }
            result.append(character)
            index = text.index(after: index)
        }
        return result
    }

    /// A request the API could not read: its status, and the runtime's (English) words for why.
    static func unreadable(_ status: HTTPResponse.Status, cause: String, _ language: Language) -> Problem {
        Problem(status: status, title: status.reasonPhrase, detail: text("problem.request", language, ["cause": cause]))
    }

    /// As the API's generated type.
    var schema: Components.Schemas.Problem {
        .init(
            _type: "about:blank", title: title, status: Int(status.code), detail: detail.map(Self.withoutServerPaths),
            problems: problems.isEmpty ? nil : problems.map(Self.withoutServerPaths))
    }

    var response: Response {
        var fields: [String: JSONValue] = ["type": "about:blank", "title": .string(title), "status": .int(Int(status.code))]
        if let detail { fields["detail"] = .string(Self.withoutServerPaths(detail)) }
        if !problems.isEmpty { fields["problems"] = .array(problems.map { .string(Self.withoutServerPaths($0)) }) }
        return Response(
            status: status, headers: [.contentType: "application/problem+json", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(fields).jsonBytes())))
    }
}

extension Problem {
    /// The problem for a refusal or failure of the core (or any other error, as a 500 that says nothing
    /// more), in `language`. Messages the core has only in English (passed on from the store or the key
    /// store, and the problems of a refused document, which name JSON paths) stay in English.
    init(_ error: any Error, language: Language) {
        if let refused = error as? NotEarned {
            self.init(
                status: .conflict, title: Self.text("problem.notEarned", language),
                detail: Self.text("problem.notEarned.detail", language, ["badge": refused.badge]))
            return
        }
        if let error = error as? CredentialError {
            switch error.code {
            case .notEarned: self.init(status: .conflict, title: Self.text("problem.notEarned", language), detail: error.message)
            case .unknownKey, .retiredKey, .wrongAlgorithm, .invalidInput:
                self.init(status: .badRequest, title: Self.text("problem.invalid", language), detail: error.message)
            case .keyFile, .io: self = .failure(language)
            }
            return
        }
        guard let error = error as? CoreError else {
            self = .failure(language)
            return
        }
        let (status, title): (HTTPResponse.Status, String) =
            switch error.code {
            case .notFound: (.notFound, "problem.notFound")
            case .duplicate: (.conflict, "problem.duplicate")
            case .conflict: (.conflict, "problem.conflict")
            case .invalid: (.badRequest, "problem.invalid")
            case .unauthenticated: (.unauthorized, "problem.unauthenticated")
            case .forbidden: (.forbidden, "problem.forbidden")
            case .throttled: (.tooManyRequests, "problem.throttled")
            case .unavailable: (.serviceUnavailable, "problem.unavailable")
            default: (.internalServerError, "problem.failure")
            }
        guard status != .internalServerError else {
            self = .failure(language)
            return
        }
        self.init(status: status, title: Self.text(title, language), detail: error.message(in: language))
        problems = error.problems
    }
}

/// The language a request asks for in `Accept-Language`: the first of fi, sv and en by the header's
/// weights (and order among equal weights), or `fallback`.
enum AcceptLanguage {
    static func preferred(_ header: String?, fallback: Language) -> Language {
        guard let header else { return fallback }
        var best: (language: Language, weight: Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";")
            guard let tag = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased() else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            // Norwegian and Danish readers are closer to Swedish than to the others; "*" takes the fallback.
            let language: Language? =
                switch primary {
                case "fi": .fi
                case "sv": .sv
                case "en": .en
                case "*": fallback
                default: nil
                }
            guard let language else { continue }
            var weight = 1.0
            for parameter in pieces.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "q" { weight = Double(pair[1]).map { min(max($0, 0), 1) } ?? 0 }
            }
            if weight > 0, weight > (best?.weight ?? 0) { best = (language, weight) }
        }
        return best?.language ?? fallback
    }
}

/// A request body longer than the server takes (see ``BodyLimitMiddleware``).
struct BodyTooLarge: Error {
    var limit: Int
}

/// An API request with a body that does not say it is JSON (see ``BodyLimitMiddleware``).
struct BodyNotJSON: Error {}

/// Refuses an API request body over its route's limit with a 413 problem document before the API reads it:
/// at once when `Content-Length` says so, otherwise as soon as that many bytes have come. Below the limit,
/// the body is collected for the route. Signing in takes a few kilobytes; everything else `limit` (client
/// records are imported whole). (The pages read their forms with limits of their own and answer with pages.)
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    /// What a sign-in body may hold: a user id, a password or a code, with room to spare.
    static var signInLimit: Int { 4 << 10 }
    /// The operations that also take bodies other than JSON, and which: importing client records takes
    /// files (`multipart/form-data`), uploading a definition set an archive.
    static var otherBodies: [String: [String]] { [
        "/api/v1/clients/import": ["multipart/form-data"], "/api/v1/definitions/versions": ["application/zip", "application/gzip"],
    ] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let limit = request.uri.path.hasPrefix("/api/v1/session") ? Self.signInLimit : limit
        if let declared = request.headers[.contentLength], let length = Int(declared), length > limit { throw BodyTooLarge(limit: limit) }
        guard request.method == .post || request.method == .put || request.method == .patch else { return try await next(request, context) }
        // Every API body is JSON and must say so (an import may also be files in a multipart form, a definition
        // set a zip or a gzip'd tar): a body without a type (which a page of another site can send without
        // asking) is not read.
        let hasBody = request.headers[.transferEncoding] != nil || (request.headers[.contentLength].map { Int($0) ?? 1 } ?? 0) > 0
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let readable = (["application/json"] + (Self.otherBodies[request.uri.path] ?? [])).contains { type.hasPrefix($0) }
        if hasBody, !readable { throw BodyNotJSON() }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw BodyTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}

/// Turns what a route throws into a problem document: a request the API's generated layer could not read
/// (no body, another content type, JSON that does not fit) is the client's mistake (400, or the status the
/// runtime names); anything else is a 500 that says nothing more. Hummingbird alone would answer an
/// unknown error with an empty 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// Why the API's generated layer could not read a request: for JSON that does not fit, the JSON path
    /// and what was wrong there; otherwise the runtime's words.
    static func cause(of error: ServerError) -> String {
        guard let decoding = error.underlyingError as? DecodingError else { return error.causeDescription }
        let (path, what): ([any CodingKey], String) =
            switch decoding {
            case .dataCorrupted(let context): (context.codingPath, context.codingPath.isEmpty ? "the body is not valid JSON" : context.debugDescription)
            case .keyNotFound(let key, let context): (context.codingPath + [key], "this field is missing")
            case .typeMismatch(let type, let context): (context.codingPath, "expected \(Self.kind(of: type))")
            case .valueNotFound(let type, let context): (context.codingPath, "expected \(Self.kind(of: type)), found null")
            @unknown default: ([], "\(decoding)")
            }
        let jsonPath = path.reduce("$") { path, key in key.intValue.map { "\(path)[\($0)]" } ?? "\(path).\(key.stringValue)" }
        return "\(jsonPath): \(what)"
    }

    private static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default: String(describing: type).contains("Array") ? "an array" : "an object or value of another type"
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let language = RequestCredentials.language ?? .en
        do {
            var response = try await next(request, context)
            // Busy for now (a full queue of password checks): say when to come back.
            if response.status == .serviceUnavailable, response.headers[.retryAfter] == nil { response.headers[.retryAfter] = "2" }
            return response
        } catch let error as ServerError {
            // Input that could not be made is the request's fault, whatever the runtime's status says.
            let status = error.operationInput == nil && error.httpStatus.code >= 500 ? .badRequest : error.httpStatus
            if status.code >= 500 {
                logger.error("API operation \(error.operationID) failed: \(error.causeDescription)")
                return Problem.failure(language).response
            }
            return Problem.unreadable(status, cause: Self.cause(of: error), language).response
        } catch let error as BodyTooLarge {
            return Problem.tooLarge(error.limit, language).response
        } catch is BodyNotJSON {
            return Problem(
                status: .unsupportedMediaType, title: Problem.text("problem.notJSON", language), detail: Problem.text("problem.notJSON.detail", language)
            ).response
        } catch let error as any HTTPResponseError {
            return Problem(status: error.status, title: error.status.reasonPhrase, detail: nil).response
        } catch {
            logger.error("request failed: \(type(of: error))")
            return Problem.failure(language).response
        }
    }
}

/// Lets every API refusal reach its client as a problem document, whatever the request's `Accept` says:
/// the generated layer checks a response's media type against `Accept`, so a client that asks for
/// `application/json` (many do) would get a bare 406 instead of the real status and its problem document
/// (`application/problem+json`). An API request whose `Accept` names neither it nor `*/*` gets it added.
struct ProblemAcceptMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/"), let accept = request.headers[.accept],
            !accept.lowercased().contains("application/problem+json"), !accept.contains("*/*")
        else { return try await next(request, context) }
        var head = request.head
        head.headerFields[.accept] = accept + ", application/problem+json"
        return try await next(Request(head: head, body: request.body), context)
    }
}
