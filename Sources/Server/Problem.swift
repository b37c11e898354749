import Basics
import MerkistoCore
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
            default: (.internalServerError, "Internal error")
            }
        self.init(status: status, title: title, detail: error.message)
        problems = error.problems
    }
}
