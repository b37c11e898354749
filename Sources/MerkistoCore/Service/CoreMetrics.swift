import Credentials
import Metrics

/// What the core counts for operators (swift-metrics: nothing is kept unless the program has chosen a
/// metrics system, as `merkisto serve` does for /metrics). Counts only: never ids or personal data.
enum CoreMetrics {
    private static let issuedCounter = Counter(label: "merkisto_credentials_issued_total")
    private static let validCounter = Counter(label: "merkisto_credentials_verified_total", dimensions: [("result", "valid")])
    private static let invalidCounter = Counter(label: "merkisto_credentials_verified_total", dimensions: [("result", "not_valid")])
    private static let passwordFailures = Counter(label: "merkisto_sign_in_failures_total", dimensions: [("kind", "password")])
    private static let codeFailures = Counter(label: "merkisto_sign_in_failures_total", dimensions: [("kind", "code")])

    enum SignInKind {
        case password
        case code
    }

    /// Credentials made durable.
    static func issued(_ count: Int) {
        if count > 0 { issuedCounter.increment(by: count) }
    }

    /// A verification's outcome; returns the report.
    static func verified(_ report: VerificationReport) -> VerificationReport {
        (report.failures.isEmpty ? validCounter : invalidCounter).increment()
        return report
    }

    static func signInFailed(_ kind: SignInKind) {
        (kind == .password ? passwordFailures : codeFailures).increment()
    }
}
