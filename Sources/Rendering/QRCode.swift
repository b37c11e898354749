import CQREncode
import Foundation

/// QR codes (libqrencode) drawn as SVG, for printing a client's one-time sign-in link.
public enum QRCode {
    /// The symbol's dark modules, row by row (true: dark), for `text` at error correction level M;
    /// nil when the text is too long for a QR code.
    public static func modules(_ text: String) -> [[Bool]]? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = code.pointee.data!
        return (0..<width).map { row in (0..<width).map { column in data[row * width + column] & 1 == 1 } }
    }

    /// An SVG image of the QR code of `text`, with a quiet zone of four modules, scaled by `scale` pixels
    /// per module, named for screen readers by `title`.
    public static func svg(_ text: String, title: String, scale: Int = 8) -> String? {
        guard let modules = modules(text) else { return nil }
        let size = (modules.count + 8) * scale
        var path = ""
        for (row, line) in modules.enumerated() {
            var column = 0
            while column < line.count {
                guard line[column] else {
                    column += 1
                    continue
                }
                // One rectangle per run of dark modules in a row.
                let start = column
                while column < line.count, line[column] { column += 1 }
                path += "M\((start + 4) * scale) \((row + 4) * scale)h\((column - start) * scale)v\(scale)h-\((column - start) * scale)z"
            }
        }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="\(size)" height="\(size)" role="img" aria-labelledby="qr-title">\
            <title id="qr-title">\(escaped)</title><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>

            """
    }
}
