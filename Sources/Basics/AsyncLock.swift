/// One holder at a time, in order of arrival; a caller that waits is suspended, not blocking a thread
/// (a lock held across `await` must not be a thread lock).
public actor AsyncLock {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    private func acquire() async {
        if held {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            held = true
        }
    }

    private func release() {
        if waiting.isEmpty {
            held = false
        } else {
            // Handed over: `held` stays true for the next holder.
            waiting.removeFirst().resume()
        }
    }

    /// Runs `body` holding the lock.
    public nonisolated func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }
}
