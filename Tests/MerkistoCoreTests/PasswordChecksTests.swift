import HummingbirdBcrypt
import MerkistoCore
import Testing

@Suite("Password checks on their own pool")
struct PasswordChecksTests {
    @Test("at most `capacity` checks wait; beyond that a check is refused at once as busy, the others answer right")
    func bounded() async throws {
        let checks = PasswordChecks(workers: 1, capacity: 2)
        let hash = Bcrypt.hash("oikea-salasana", cost: 10)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        return try await checks.verify(index == 0 ? "oikea-salasana" : "väärä", hash: hash) ? "right" : "wrong"
                    } catch {
                        return (error as? CoreError)?.code == .unavailable ? "busy" : "other"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 8 && !outcomes.contains("other"))
        #expect(outcomes.filter { $0 == "busy" }.count >= 1, "\(outcomes)")
        #expect(outcomes.filter { $0 != "busy" }.count >= 2, "\(outcomes)")
        // Once the queue has room again, checks go through.
        #expect(try await checks.verify("oikea-salasana", hash: hash))
    }
}
