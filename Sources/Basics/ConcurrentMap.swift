/// `body(0) … body(count - 1)` with at most `workers` running at once, as tasks (a task waiting for a
/// database holds no thread); the results in index order. The first error ends the others.
public func concurrentMap<T: Sendable>(count: Int, workers: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        while next < min(max(1, workers), count) {
            let index = next
            group.addTask { (index, try await body(index)) }
            next += 1
        }
        while let (index, value) = try await group.next() {
            results[index] = value
            if next < count {
                let index = next
                group.addTask { (index, try await body(index)) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
