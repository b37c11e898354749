public import Basics
public import Definitions
import Foundation

/// Why a use case refused or failed, in words an instructor or administrator can act on, in Finnish,
/// Swedish and English (from the `errors.json` table).
///
/// Messages name ids (pseudonymous client ids, definition ids, credential ids), never personal data.
public struct CoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// Something named does not exist (a client, a badge, a period, a credential).
        public static let notFound = Code("not-found")
        /// The id is already taken.
        public static let duplicate = Code("duplicate")
        /// The input breaks a rule (a transition the pathway model does not allow, a bad id, a bad record).
        public static let invalid = Code("invalid")
        /// The state does not allow the change now (no open period, already revoked, erased).
        public static let conflict = Code("conflict")
        /// The store or the key store failed.
        public static let failure = Code("failure")
        /// No one is signed in, or the token or session is not valid (any more).
        public static let unauthenticated = Code("unauthenticated")
        /// The actor may not do this (their role or their token's scopes do not allow it).
        public static let forbidden = Code("forbidden")
        /// Too many attempts (sign-in): wait, then try again.
        public static let throttled = Code("throttled")
        /// Busy for now (a full queue): try again in a moment.
        public static let unavailable = Code("unavailable")
        public var description: String { name }
    }

    public var code: Code
    /// The message in English.
    public var message: String
    /// The message's key in the error table and the values of its placeholders; nil for a message that
    /// exists in English only (one passed on from the store, the key store or a reader).
    public var key: String?
    public var arguments: [String: String]
    /// Every problem when a whole document was refused (client records: one per JSON path).
    public var problems: [String]

    /// An error whose message is the table's text for `key`, with `arguments` filled in.
    public init(_ code: Code, key: String, _ arguments: [String: String] = [:], problems: [String] = []) {
        self.code = code
        self.key = key
        self.arguments = arguments
        self.message = Self.table.text(key, .en, arguments)
        self.problems = problems
    }

    /// An error with a message in English only (passed on from a lower layer).
    public init(_ code: Code, _ message: String, problems: [String] = []) {
        self.code = code
        self.message = message
        self.key = nil
        self.arguments = [:]
        self.problems = problems
    }

    /// The message in a language (English when it has no key).
    public func message(in language: Language) -> String {
        key.map { Self.table.text($0, language, arguments) } ?? message
    }

    public var description: String { ([message] + problems).joined(separator: "\n") }

    /// The error messages in Finnish, Swedish and English.
    public static let table = Localizer(table: Bundle.module.url(forResource: "errors", withExtension: "json"))
}
