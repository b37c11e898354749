import Basics
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import Testing

@testable import Server

@Suite("Operations: metrics, readiness, JSON log")
struct OperationsTests {
    @Test("/metrics counts requests by route group and status class, for this machine only (not through a proxy, not without a registry)")
    func metrics() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        // The server counts its requests into the registry it is given.
        let registry = PrometheusCollectorRegistry()
        let application = try await MerkistoServer.application(
            service: world.service, configuration: ServerConfiguration(port: 0, metrics: registry), logger: Logger(label: "test"))
        try await application.test(.live) { client in
            for _ in 0..<3 { try await client.execute(uri: "/openapi.json", method: .get) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/api/v1/clients", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(decoding: response.body.readableBytesView, as: UTF8.self)
                #expect(text.contains("merkisto_http_requests_total{group=\"documents\",status=\"2xx\"} 3"))
                #expect(text.contains("merkisto_http_requests_total{group=\"api\",status=\"4xx\"} 1"))
                #expect(text.contains("merkisto_http_request_duration_seconds_count{group=\"documents\"} 3"))
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.init("X-Forwarded-For")!: "198.51.100.7"]) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in #expect(response.status == .ok) }
        }
        // Without a registry there is no /metrics.
        try await world.application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in #expect(response.status == .notFound) }
        }
        #expect(MetricsMiddleware.group("/api/v1/clients") == "api")
        #expect(MetricsMiddleware.group("/clients/asiakas-1") == "pages")
        #expect(MetricsMiddleware.group("/keys/jwks.json") == "documents")
        #expect(MetricsMiddleware.group("/readyz") == "operations")
    }

    @Test("the JSON log is one object per line with time, level, label, message and metadata, whatever the message holds")
    func jsonLog() throws {
        let event = LogEvent(
            level: .warning, message: "a \"quoted\" line\nand another", metadata: ["request": "42"], source: "test", file: #fileID, function: #function,
            line: #line)
        let now = try Timestamp.parse("2026-12-05T09:00:00+02:00").get()
        let bytes = JSONLogHandler.line(event, label: "merkisto", handlerMetadata: ["server": "a"], now: now)
        #expect(bytes.last == 0x0A && bytes.dropLast().allSatisfy { $0 != 0x0A })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
        #expect(object == ["time": "2026-12-05T07:00:00Z", "level": "warning", "label": "merkisto", "message": "a \"quoted\" line\nand another", "request": "42", "server": "a"])
    }
}
