import Foundation

/// Progress of a long run on standard error: a bar redrawn in place on a terminal, plain lines (at
/// most one per tenth of the work) when standard error is a file or a pipe.
final class ProgressBar: @unchecked Sendable {
    // `lock` guards the drawing state.
    private let lock = NSLock()
    private let label: String
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1
    private var drawn = false

    init(label: String) {
        self.label = label
    }

    func update(done: Int, total: Int, note: String) {
        lock.lock()
        defer { lock.unlock() }
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) · \(note)\u{1B}[K".utf8))
            drawn = true
        } else {
            let tenth = Int(fraction * 10)
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(label): \(done)/\(total) (\(Int(fraction * 100))%), \(note)\n".utf8))
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
