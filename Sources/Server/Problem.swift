import Basics
import Credentials
import Logging
import MerkistoCore
import OpenAPIRuntime
import Hummingbird
import NIOCore

/// An RFC 9457 problem document (`application/problem+json`).
struct Problem: Sendable {
    var status: HTTPResponse.Status
    var title: String
    var detail: String?
    var problems: [String] = []

    static let notFound = Problem(status: .notFound, title: "Not found", detail: "There is nothing at this address.")

    /// As the API's generated type.
    var schema: Components.Schemas.Problem {
        .init(_type: "about:blank", title: title, status: Int(status.code), detail: detail, problems: problems.isEmpty ? nil : problems)
    }

    var response: Response {
        var fields: [String: JSONValue] = ["type": "about:blank", "title": .string(title), "status": .int(Int(status.code))]
        if let detail { fields["detail"] = .string(detail) }
        if !problems.isEmpty { fields["problems"] = .array(problems.map { .string($0) }) }
        return Response(
            status: status, headers: [.contentType: "application/problem+json", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(fields).jsonBytes())))
    }
}

extension Problem {
    /// The problem for a refusal or failure of the core (or any other error, as a 500 that says nothing more).
    init(_ error: any Error) {
        if let refused = error as? NotEarned {
            self.init(status: .conflict, title: "Not earned", detail: "The client has not earned the badge \(refused.badge); nothing was issued.")
            return
        }
        if let error = error as? CredentialError {
            let (status, title): (HTTPResponse.Status, String) =
                switch error.code {
                case .notEarned: (.conflict, "Not earned")
                case .unknownKey, .retiredKey, .wrongAlgorithm, .invalidInput: (.badRequest, "Invalid request")
                case .keyFile, .io: (.internalServerError, "Internal error")
                }
            self.init(status: status, title: title, detail: status == .internalServerError ? "The server could not do this; try again later." : error.message)
            return
        }
        guard let error = error as? CoreError else {
            self.init(status: .internalServerError, title: "Internal error", detail: "The server could not do this; try again later.")
            return
        }
        let (status, title): (HTTPResponse.Status, String) =
            switch error.code {
            case .notFound: (.notFound, "Not found")
            case .duplicate: (.conflict, "Already exists")
            case .conflict: (.conflict, "Conflict")
            case .invalid: (.badRequest, "Invalid request")
            case .unauthenticated: (.unauthorized, "Not signed in")
            case .forbidden: (.forbidden, "Not allowed")
            case .throttled: (.tooManyRequests, "Too many attempts")
            default: (.internalServerError, "Internal error")
            }
        self.init(status: status, title: title, detail: error.message)
        problems = error.problems
    }
}

/// Turns what a route throws into a problem document: a request the API's generated layer could not read
/// (no body, another content type, JSON that does not fit) is the client's mistake (400, or the status the
/// runtime names); anything else is a 500 that says nothing more. Hummingbird alone would answer an
/// unknown error with an empty 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            // Input that could not be made is the request's fault, whatever the runtime's status says.
            let status = error.operationInput == nil && error.httpStatus.code >= 500 ? .badRequest : error.httpStatus
            if status.code >= 500 { logger.error("API operation \(error.operationID) failed: \(error.causeDescription)") }
            let detail =
                status.code < 500
                ? "The request does not fit the API (see /openapi.json): \(error.causeDescription)." : "The server could not do this; try again later."
            return Problem(status: status, title: status.reasonPhrase, detail: detail).response
        } catch let error as any HTTPResponseError {
            return Problem(status: error.status, title: error.status.reasonPhrase, detail: nil).response
        } catch {
            logger.error("request failed: \(type(of: error))")
            return Problem(status: .internalServerError, title: "Internal error", detail: "The server could not do this; try again later.").response
        }
    }
}
