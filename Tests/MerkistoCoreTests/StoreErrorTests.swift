import Basics
import Storage
import Testing

@testable import MerkistoCore

@Suite("Store errors as the core says them")
struct StoreErrorTests {
    @Test("a store that stays busy (serialization failures, deadlocks) is 'unavailable, try again', said in every language; nothing else is")
    func busy() async throws {
        await #expect {
            try await stored { () async throws(StoreError) in throw StoreError(.busy, "40001 five times") }
        } throws: { error in
            guard let error = error as? CoreError else { return false }
            return error.code == .unavailable && error.key == "store.busy" && error.problems == ["retry-after: 1"]
                && [.fi, .sv, .en].allSatisfy { !error.message(in: $0).isEmpty && error.message(in: $0) != "store.busy" }
        }
        await #expect {
            try await stored { () async throws(StoreError) in throw StoreError(.database, "disk full") }
        } throws: { ($0 as? CoreError)?.code == .failure }
    }
}
