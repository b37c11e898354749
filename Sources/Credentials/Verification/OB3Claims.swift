import Basics
import JSONLD
import RDF

/// What the OB 3.0 policy checks read from a credential: its id, types, issuer, dates, subject, status
/// entries and recipient identities.
///
/// A proof covers statements, not JSON: JSON-LD lets one statement be written as a string, an array of one,
/// a value object, through an alias of `id` or `type`, or under a full IRI, and a Data Integrity proof holds
/// for every such shape. So the claims are read from the statements themselves (``init(statements:)``),
/// or, only when the JSON is in the one shape Merkisto issues, from the JSON (``init(plain:)``, the fast
/// path for VC-JWT, whose proof covers bytes). Both give the same claims for the same statements; what
/// cannot be read is an error (fail closed), never skipped.
struct OB3Claims: Equatable {
    struct Time: Equatable {
        var text: String
        var time: Timestamp
    }

    struct StatusEntry: Equatable {
        var purpose: String
        var index: Int
        var listURL: String
    }

    struct EmailIdentity: Equatable {
        var hash: String
        var salt: String
    }

    var id: String
    var issuer: String
    var validFrom: Time
    var validUntil: Time?
    var subjectID: String?
    var achievementName: String?
    var status: [StatusEntry]
    var emailIdentities: [EmailIdentity]

    // MARK: From the JSON, when it is in the issued shape

    /// The contexts Merkisto's OB 3.0 credentials name, in order.
    static let issuedContexts: JSONValue = .array([
        .string("https://www.w3.org/ns/credentials/v2"), .string("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"),
    ])

    /// The claims of a credential in exactly the shape Merkisto issues (`onlyPlainTerms`: every key of the
    /// document is a plain term, see `JSONBytes.parseNotingKeys`); nil for any other shape, which must then
    /// be read by its statements.
    init?(plain document: [String: JSONValue], onlyPlainTerms: Bool) {
        guard onlyPlainTerms, document["@context"] == Self.issuedContexts,
            case .array(let types)? = document["type"], types.allSatisfy({ if case .string = $0 { true } else { false } }),
            types.contains(.string("VerifiableCredential")),
            types.contains(.string("OpenBadgeCredential")) || types.contains(.string("AchievementCredential")),
            case .string(let id)? = document["id"], Self.isAbsolute(id),
            case .object(let issuer)? = document["issuer"], case .string(let issuerID)? = issuer["id"], Self.isAbsolute(issuerID),
            case .string(let fromText)? = document["validFrom"], case .success(let from) = Timestamp.parse(fromText),
            case .object(let subject)? = document["credentialSubject"]
        else { return nil }
        var until: Time?
        switch document["validUntil"] {
        case nil: until = nil
        case .string(let text)?:
            guard case .success(let time) = Timestamp.parse(text) else { return nil }
            until = Time(text: text, time: time)
        default: return nil
        }
        var subjectID: String?
        switch subject["id"] {
        case nil: subjectID = nil
        case .string(let value)? where Self.isAbsolute(value): subjectID = value
        default: return nil
        }
        var achievementName: String?
        switch subject["achievement"] {
        case .object(let achievement)?:
            switch achievement["name"] {
            case nil: achievementName = nil
            case .string(let name)?: achievementName = name
            default: return nil
            }
        case nil: achievementName = nil
        default: return nil
        }
        var identities: [EmailIdentity] = []
        switch subject["identifier"] {
        case nil: break
        case .array(let list)?:
            for entry in list {
                guard case .object(let identity) = entry, case .string(let kind)? = identity["identityType"],
                    case .string(let hash)? = identity["identityHash"]
                else { return nil }
                let salt: String
                switch identity["salt"] {
                case nil: salt = ""
                case .string(let value)?: salt = value
                default: return nil
                }
                if kind == "emailAddress" { identities.append(EmailIdentity(hash: hash, salt: salt)) }
            }
            identities.sort { ($0.hash, $0.salt) < ($1.hash, $1.salt) }
        default: return nil
        }
        var status: [StatusEntry] = []
        switch document["credentialStatus"] {
        case nil: break
        case .object(let entry)?:
            guard entry["type"] == .string("BitstringStatusListEntry"), case .string(let purpose)? = entry["statusPurpose"],
                case .string(let indexText)? = entry["statusListIndex"], let index = Self.index(indexText),
                case .string(let listURL)? = entry["statusListCredential"], Self.isAbsolute(listURL)
            else { return nil }
            if let entryID = entry["id"] {
                guard case .string(let value) = entryID, Self.isAbsolute(value) else { return nil }
            }
            status = [StatusEntry(purpose: purpose, index: index, listURL: listURL)]
        default: return nil
        }
        self.init(
            id: id, issuer: issuerID, validFrom: Time(text: fromText, time: from), validUntil: until, subjectID: subjectID,
            achievementName: achievementName, status: status, emailIdentities: identities)
    }

    private init(
        id: String, issuer: String, validFrom: Time, validUntil: Time?, subjectID: String?, achievementName: String?,
        status: [StatusEntry], emailIdentities: [EmailIdentity]
    ) {
        self.id = id
        self.issuer = issuer
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.subjectID = subjectID
        self.achievementName = achievementName
        self.status = status
        self.emailIdentities = emailIdentities
    }

    /// An IRI with a scheme, as an `id` must be (a relative one would depend on a base).
    private static func isAbsolute(_ iri: String) -> Bool {
        guard let colon = iri.utf8.firstIndex(of: UInt8(ascii: ":")), colon != iri.utf8.startIndex else { return false }
        return iri.utf8[..<colon].allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    /// A status list index: decimal digits only.
    private static func index(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(text)
    }

    // MARK: From the statements

    private enum IRI {
        static let type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
        static let dateTime = "http://www.w3.org/2001/XMLSchema#dateTime"
        static let credential = "https://www.w3.org/2018/credentials#VerifiableCredential"
        static let issuer = "https://www.w3.org/2018/credentials#issuer"
        static let validFrom = "https://www.w3.org/2018/credentials#validFrom"
        static let validUntil = "https://www.w3.org/2018/credentials#validUntil"
        static let subject = "https://www.w3.org/2018/credentials#credentialSubject"
        static let status = "https://www.w3.org/2018/credentials#credentialStatus"
        static let ob = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
        static let openBadgeCredential = ob + "OpenBadgeCredential"
        static let achievementCredential = ob + "AchievementCredential"
        static let achievement = ob + "achievement"
        static let identifier = ob + "identifier"
        static let identityType = ob + "identityType"
        static let identityHash = ob + "identityHash"
        static let salt = ob + "salt"
        static let name = "https://schema.org/name"
        static let statusEntry = "https://www.w3.org/ns/credentials/status#BitstringStatusListEntry"
        static let statusPurpose = "https://www.w3.org/ns/credentials/status#statusPurpose"
        static let statusListIndex = "https://www.w3.org/ns/credentials/status#statusListIndex"
        static let statusListCredential = "https://www.w3.org/ns/credentials/status#statusListCredential"
        /// Every predicate above but `name`.
        static let read: Set<String> = [
            type, issuer, validFrom, validUntil, subject, status, achievement, identifier, identityType, identityHash, salt, statusPurpose,
            statusListIndex, statusListCredential,
        ]
        /// The types asked about.
        static let typesRead = [credential, openBadgeCredential, achievementCredential, statusEntry]
        /// The length and last byte of each of them, to pass over most other predicates without hashing.
        static let signatures: [Int] = read.map(signature).sorted()
        static func signature(_ iri: String) -> Int { iri.utf8.count << 8 | Int(iri.utf8.last ?? 0) }
        static func mayRead(_ iri: String) -> Bool { signatures.contains(signature(iri)) }
    }

    /// Why the claims cannot be read from the statements, in plain words.
    struct Unreadable: Error {
        var reason: String
    }

    /// The claims the statements of a credential make (the default graph; nothing else is the credential's).
    init(statements: [Quad]) throws(Unreadable) {
        // Only the statements a claim is read from, by subject: their predicates, and of the types only those
        // asked about. Names (every node has one) are looked for apart, for the achievements only.
        // (The quads are read in place, by index: a quad is four terms, too large to copy for a look.)
        var graph: [RDFTerm: [(predicate: String, object: RDFTerm)]] = [:]
        statements.withUnsafeBufferPointer { quads in
            for index in quads.indices {
                guard case .none = quads[index].graph, case .iri(let predicate) = quads[index].predicate, IRI.mayRead(predicate),
                    IRI.read.contains(predicate)
                else { continue }
                if predicate.isSame(as: IRI.type) {
                    guard case .iri(let type) = quads[index].object, IRI.typesRead.contains(where: { $0.isSame(as: type) }) else { continue }
                }
                graph[quads[index].subject, default: []].append((predicate, quads[index].object))
            }
        }
        func values(_ node: RDFTerm, _ predicate: String) -> [RDFTerm] {
            (graph[node] ?? []).compactMap { $0.predicate.isSame(as: predicate) ? $0.object : nil }
        }
        func names(_ node: RDFTerm) -> [RDFTerm] {
            statements.withUnsafeBufferPointer { quads in
                quads.indices.compactMap { index in
                    guard case .none = quads[index].graph, case .iri(let predicate) = quads[index].predicate, predicate.isSame(as: IRI.name),
                        quads[index].subject == node
                    else { return nil }
                    return quads[index].object
                }
            }
        }
        func one(_ node: RDFTerm, _ predicate: String, _ what: String) throws(Unreadable) -> RDFTerm {
            let found = Set(values(node, predicate))
            guard found.count == 1, let value = found.first else {
                throw Unreadable(reason: found.isEmpty ? "the credential has no \(what)" : "the credential has \(found.count) values of \(what)")
            }
            return value
        }
        func time(_ term: RDFTerm, _ what: String) throws(Unreadable) -> Time {
            guard case .literal(let text, let datatype, nil) = term, datatype == IRI.dateTime, case .success(let time) = Timestamp.parse(text) else {
                throw Unreadable(reason: "the credential's \(what) is not a date and time")
            }
            return Time(text: text, time: time)
        }
        func literal(_ term: RDFTerm) -> String? {
            if case .literal(let text, _, _) = term { text } else { nil }
        }

        let credentials = graph.keys.filter { values($0, IRI.type).contains(.iri(IRI.credential)) }
        guard credentials.count == 1, let node = credentials.first else {
            throw Unreadable(reason: credentials.isEmpty ? "there is no verifiable credential in it" : "it holds \(credentials.count) credentials")
        }
        let types = values(node, IRI.type)
        guard types.contains(.iri(IRI.openBadgeCredential)) || types.contains(.iri(IRI.achievementCredential)) else {
            throw Unreadable(reason: "the credential is not an OpenBadgeCredential")
        }
        guard case .iri(let id) = node else { throw Unreadable(reason: "the credential has no id") }
        guard case .iri(let issuer) = try one(node, IRI.issuer, "issuer") else { throw Unreadable(reason: "the credential's issuer has no id") }
        let validFrom = try time(try one(node, IRI.validFrom, "validFrom"), "validFrom")
        let untilValues = Set(values(node, IRI.validUntil))
        guard untilValues.count <= 1 else { throw Unreadable(reason: "the credential has \(untilValues.count) values of validUntil") }
        let validUntil = try untilValues.first.map { (term) throws(Unreadable) -> Time in try time(term, "validUntil") }
        let subject = try one(node, IRI.subject, "credentialSubject")
        let subjectID: String? = if case .iri(let value) = subject { value } else { nil }
        let achievementName = values(subject, IRI.achievement).lazy.flatMap(names).compactMap(literal).first

        var identities: [EmailIdentity] = []
        for identity in Set(values(subject, IRI.identifier)) {
            let kinds = Set(values(identity, IRI.identityType).compactMap(literal))
            guard kinds.contains("emailAddress") else { continue }
            let hashes = Set(values(identity, IRI.identityHash).compactMap(literal))
            let salts = Set(values(identity, IRI.salt).compactMap(literal))
            guard kinds.count == 1, hashes.count == 1, salts.count <= 1, let hash = hashes.first else {
                throw Unreadable(reason: "a recipient identity of the credential cannot be read")
            }
            identities.append(EmailIdentity(hash: hash, salt: salts.first ?? ""))
        }

        var status: [StatusEntry] = []
        for entry in Set(values(node, IRI.status)) {
            guard values(entry, IRI.type).contains(.iri(IRI.statusEntry)) else {
                throw Unreadable(reason: "the credential has a status entry of a kind that cannot be checked")
            }
            let purposes = Set(values(entry, IRI.statusPurpose).compactMap(literal))
            let indexes = Set(values(entry, IRI.statusListIndex).compactMap(literal))
            let lists = Set(values(entry, IRI.statusListCredential))
            guard purposes.count == 1, let purpose = purposes.first, indexes.count == 1, let index = indexes.first.flatMap(Self.index),
                lists.count == 1, case .iri(let listURL)? = lists.first
            else { throw Unreadable(reason: "the credential's status entry cannot be read") }
            status.append(StatusEntry(purpose: purpose, index: index, listURL: listURL))
        }
        status.sort { ($0.listURL, $0.index, $0.purpose) < ($1.listURL, $1.index, $1.purpose) }
        self.init(
            id: id, issuer: issuer, validFrom: validFrom, validUntil: validUntil, subjectID: subjectID, achievementName: achievementName,
            status: status, emailIdentities: identities.sorted { ($0.hash, $0.salt) < ($1.hash, $1.salt) })
    }

    /// The claims of a credential given as JSON in any shape, read by its statements (JSON-LD against the
    /// bundled contexts).
    init(anyShape document: JSONValue) throws(Unreadable) {
        let statements: [Quad]
        do { statements = try JSONLDProcessor(loader: .bundled).toRDF(document) } catch {
            throw Unreadable(reason: "it is not JSON-LD the bundled contexts define (\(error.message))")
        }
        try self.init(statements: statements)
    }
}
