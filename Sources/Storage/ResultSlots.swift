import Foundation

/// Results of work spread over threads, one slot per piece, and a shared counter handing out the pieces.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    // Every access goes through `lock`.
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]
    private var taken = 0

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ result: Result<T, any Error>) {
        lock.withLock { slots[index] = result }
    }

    /// The next piece to work on, or nil when all are taken.
    func claim(below count: Int) -> Int? {
        lock.withLock {
            guard taken < count else { return nil }
            taken += 1
            return taken - 1
        }
    }

    /// Every slot's result, in order; a slot never filled counts as an error.
    func values() -> [Result<T, any Error>] {
        lock.withLock { slots.map { $0 ?? .failure(CancellationError()) } }
    }
}
