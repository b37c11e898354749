import Foundation
import Synchronization

/// Work spread over threads: pieces handed out one index at a time, and a slot per piece for what its
/// worker made. Each index is claimed once; each slot is written once.
public final class WorkSlots<Value: Sendable>: @unchecked Sendable {
    private let next = Atomic<Int>(0)
    // `lock` guards `slots`.
    private let lock = NSLock()
    private var slots: [Value?]
    public let count: Int

    public init(count: Int) {
        self.count = count
        slots = Array(repeating: nil, count: count)
    }

    /// The next index no worker has taken, or nil when all are taken.
    public func claim() -> Int? {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }

    public func set(_ index: Int, _ value: Value) {
        lock.withLock { slots[index] = value }
    }

    /// Stores what a worker made, by index, in one go.
    public func set(_ values: consuming [(Int, Value)]) {
        lock.withLock {
            while let (index, value) = values.popLast() { slots[index] = value }
        }
    }

    /// Every slot in order: nil for a piece no worker finished.
    public var values: [Value?] { lock.withLock { slots } }
}
