import FuzzHarness
import Testing

/// Every fuzz target's seeds (committed seeds, test fixtures, generated credentials and images) and every
/// input that once made it fail (`Fuzz/regressions/<target>/`) go through the target's checks without a
/// finding. The fuzzer itself runs in CI and by hand (`Fuzz/run.sh`).
@Suite("fuzz targets replayed")
struct FuzzRegressionTests {
    @Test("seeds and regressions pass", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) async throws {
        let seeds = try await target.seeds()
        // A target fuzzed from nothing would find little: every target has seeds to start from.
        #expect(seeds.count >= 3, "\(target.rawValue) has \(seeds.count) seeds")
        for input in seeds + target.regressions() {
            await #expect(throws: Never.self, "\(target.rawValue)/\(input.name)") { try await target.run(input.bytes) }
        }
    }

    @Test("request inputs reach signed-in routes through their placeholders")
    func placeholders() async throws {
        let signedIn = "GET /api/v1/me HTTP/1.1\r\nAuthorization: Bearer {{token}}\r\n\r\n"
        #expect(try await FuzzTarget.status(ofRequest: Array(signedIn.utf8)) == 200)
        #expect(try await FuzzTarget.status(ofRequest: Array("GET /api/v1/me HTTP/1.1\r\n\r\n".utf8)) == 401)
        let page = "GET /clients HTTP/1.1\r\nCookie: merkisto_session={{session}}\r\n\r\n"
        #expect(try await FuzzTarget.status(ofRequest: Array(page.utf8)) == 200)
        // What NIO would not pass to the router is not a request.
        #expect(try await FuzzTarget.status(ofRequest: Array("GET /a\u{01}b HTTP/1.1\r\n\r\n".utf8)) == nil)
        #expect(try await FuzzTarget.status(ofRequest: Array("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n".utf8)) == nil)
    }
}
