import Basics
import Hummingbird
import NIOCore

/// An RFC 9457 problem document (`application/problem+json`).
struct Problem: Sendable {
    var status: HTTPResponse.Status
    var title: String
    var detail: String?

    static let notFound = Problem(status: .notFound, title: "Not found", detail: "There is nothing at this address.")

    var response: Response {
        var fields: [String: JSONValue] = ["type": "about:blank", "title": .string(title), "status": .int(Int(status.code))]
        if let detail { fields["detail"] = .string(detail) }
        return Response(
            status: status, headers: [.contentType: "application/problem+json", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(fields).jsonBytes())))
    }
}
