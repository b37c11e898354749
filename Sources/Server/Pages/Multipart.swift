import Foundation
import HTTPTypes
import MultipartKit
import NIOCore
import NIOHTTP1

extension SubmittedForm {
    /// Reads a `multipart/form-data` body with MultipartKit's parser: parts with a file name are files,
    /// the others fields.
    static func multipart(_ buffer: ByteBuffer, contentType: String) throws -> SubmittedForm {
        let refused = PageRefusal(status: .badRequest, message: "")
        guard let boundary = contentType.split(separator: ";").lazy.map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.lowercased().hasPrefix("boundary=") })
            .map({ String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }), !boundary.isEmpty
        else { throw refused }
        final class Parts {
            var done: [MultipartPart] = []
            var headers = HTTPHeaders()
            var body = ByteBuffer()
        }
        let parts = Parts()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in parts.headers.add(name: name, value: value) }
        parser.onBody = { chunk in parts.body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.done.append(MultipartPart(headers: parts.headers, body: parts.body))
            parts.headers = HTTPHeaders()
            parts.body = ByteBuffer()
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw refused
        }
        var form = SubmittedForm()
        for part in parts.done {
            guard let name = part.name else { continue }
            let isFile = part.headers.first(name: "Content-Disposition")?.contains("filename=") ?? false
            if isFile {
                form.files[name] = Array(buffer: part.body)
            } else if form.fields[name] == nil {
                form.fields[name] = String(buffer: part.body)
            }
        }
        return form
    }
}
