import Basics
import Foundation
import HTTPTypes
import Storage
import Credentials

/// What a fuzz target found wrong with an input that did not crash: a reader accepted something it
/// cannot give back, or an interface answered bad input with a server error.
public struct FuzzFinding: Error, CustomStringConvertible {
    public var target: FuzzTarget
    public var message: String
    public var description: String { "\(target.rawValue): \(message)" }
}

/// The readers fuzzed with libFuzzer (`Fuzz/`), and replayed from `Fuzz/seeds/` and `Fuzz/regressions/`
/// by the tests. Each takes any bytes: it may refuse them with an error, never crash, and what it accepts
/// must hold together (see each case).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Definition XML (documents separated by NUL bytes), loaded and linted together: every diagnostic
    /// has a location inside its document.
    case definitions
    /// A client record (JSON) read against the shipped definitions and, when accepted, evaluated.
    case clientRecord = "client-record"
    /// The strict JSON reader (what it accepts it writes back and reads to the same value) and the
    /// credential verifier (compact JWS, hosted assertions, Data Integrity documents).
    case jws
    /// JSON-LD: a document expanded, turned into RDF and canonicalized with RDFC-1.0.
    case jsonld
    /// N-Quads: what is read is written and read back to the same quads, and canonicalizes.
    case nquads
    /// The unbaker (PNG and SVG), and baking into what it reads: a baked image unbakes to what was baked.
    case unbaker
    /// An HTTP request (`METHOD /path HTTP/1.1`, headers, blank line, body) through the server's router,
    /// signed in or not: bad input is refused with a 4xx, never answered with a 5xx.
    case request

    /// Runs one input; throws a finding, or crashes (which is what the fuzzer looks for).
    public func run(_ bytes: [UInt8]) async throws {
        switch self {
        case .definitions: try DefinitionsTarget.run(bytes)
        case .clientRecord: try ClientRecordTarget.run(bytes)
        case .jws: try await JWSTarget.run(bytes)
        case .jsonld: try JSONLDTarget.run(bytes)
        case .nquads: try NQuadsTarget.run(bytes)
        case .unbaker: try UnbakerTarget.run(bytes)
        case .request: try await RequestTarget.run(bytes)
        }
    }

    /// Runs one input from synchronous code (libFuzzer's callback): waits for the run to end.
    public func runBlocking(_ bytes: [UInt8]) throws {
        try Self.blocking { try await run(bytes) }
    }

    /// Prepares what the target needs (definitions, the demo world) before the first input, so that the
    /// first input is not slower than the others.
    public func prepare() async throws {
        switch self {
        case .clientRecord: _ = Fixtures.compiled
        case .jws: _ = try await Fixtures.world()
        case .request: _ = try await RequestTarget.responder()
        default: break
        }
    }

    /// Every input to start from: the files in `Fuzz/seeds/<target>/`, the test fixtures and shipped files
    /// of the target's kind, and ``generatedSeeds()``.
    public func seeds() async throws -> [(name: String, bytes: [UInt8])] {
        let repository = Fixtures.repository
        var folders = [repository + "/Fuzz/seeds/" + rawValue]
        let kinds: Set<String>
        switch self {
        case .definitions:
            folders += [repository + "/BadgeDefinitions", repository + "/Tests/DefinitionsTests/Fixtures", repository + "/Tests/EvaluationTests/Fixtures"]
            kinds = ["xml"]
        case .clientRecord:
            folders += [repository + "/examples/clients"]
            kinds = ["json"]
        case .jws, .jsonld:
            folders += [repository + "/Tests/CredentialsTests/Fixtures", repository + "/Tests/RDFTests/rdf-canon/rdfc10"]
            kinds = ["json"]
        case .nquads:
            folders += [repository + "/Tests/CredentialsTests/Fixtures", repository + "/Tests/RDFTests/rdf-canon/rdfc10"]
            kinds = ["nq", "txt"]
        case .unbaker:
            folders += [repository + "/BadgeDefinitions/images"]
            kinds = ["svg", "png"]
        case .request:
            kinds = []
        }
        var seeds = Self.files(in: folders[0], kinds: nil)
        for folder in folders.dropFirst() { seeds += Self.files(in: folder, kinds: kinds) }
        if self == .definitions {
            // A framework and a badge in one input, so that references resolve.
            let framework = repository + "/BadgeDefinitions/framework/digcomp-2.2.xml"
            let badge = repository + "/BadgeDefinitions/badges/asiointi-verkossa.xml"
            if let a = FileManager.default.contents(atPath: framework), let b = FileManager.default.contents(atPath: badge) {
                seeds.append(("framework-and-badge", [UInt8](a) + [0] + [UInt8](b)))
            }
        }
        return await seeds + (try generatedSeeds())
    }

    /// The regular files below `folder` (of the given extensions, or all), by path relative to it.
    static func files(in folder: String, kinds: Set<String>?) -> [(name: String, bytes: [UInt8])] {
        // The enumerator does not go into a folder given as a link (BadgeDefinitions is one): go where it points.
        let folder = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [(name: String, bytes: [UInt8])] = []
        while let relative = enumerator.nextObject() as? String {
            if let kinds, !kinds.contains((relative as NSString).pathExtension) { continue }
            var isDirectory: ObjCBool = false
            let path = folder + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            found.append((relative, [UInt8](data)))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// The inputs that once made the target fail, in `Fuzz/regressions/<target>/`: each must now pass.
    public func regressions() -> [(name: String, bytes: [UInt8])] {
        Self.files(in: Fixtures.repository + "/Fuzz/regressions/" + rawValue, kinds: nil)
    }

    /// Inputs made at run time to start the corpus from (credentials the demo world issued, baked
    /// images): they need keys and a store, so they are not files in the repository.
    public func generatedSeeds() async throws -> [(name: String, bytes: [UInt8])] {
        switch self {
        case .jws:
            return try await Fixtures.world().credentials.map { ("issued-\($0.format.rawValue)", $0.bytes) }
        case .jsonld:
            return try await Fixtures.world().credentials.filter { $0.format == .ob3LDP }.map { ("issued-ldp", $0.bytes) }
        case .unbaker:
            var seeds = [("tiny.png", PNGBytes.tiny())]
            let images = Fixtures.definitionsDirectory + "/images"
            let svg = (try? FileManager.default.contentsOfDirectory(atPath: images))?.sorted().first { $0.hasSuffix(".svg") }
            if let svg, let data = FileManager.default.contents(atPath: images + "/" + svg) { seeds.append((svg, [UInt8](data))) }
            for credential in try await Fixtures.world().credentials.prefix(2) {
                for (name, image) in seeds.prefix(2) {
                    let baked = try Baker.bake(String(decoding: credential.bytes, as: UTF8.self), into: Data(image))
                    seeds.append(("baked-\(credential.format.rawValue)-\(name)", [UInt8](baked)))
                }
            }
            return seeds
        default:
            return []
        }
    }

    /// The status the server answers a request input with (see ``request``), or nil when it is no request.
    public static func status(ofRequest bytes: [UInt8]) async throws -> Int? {
        try await RequestTarget.answer(bytes).map { $0.1.code }
    }

    /// ``prepare()`` from synchronous code.
    public func runBlockingPrepare() throws {
        try Self.blocking { try await prepare() }
    }

    /// ``seeds()`` for libFuzzer's synchronous initializer.
    public func seedsBlocking() throws -> [(name: String, bytes: [UInt8])] {
        try Self.blocking { try await seeds() }
    }

    /// Waits on this (non-Swift-concurrency) thread for `body`: libFuzzer calls in from C.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { outcome.result = .success(try await body()) } catch { outcome.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try outcome.result!.get()
    }

    func finding(_ message: String) -> FuzzFinding { FuzzFinding(target: self, message: message) }
}

/// What a blocking call's task gave, read after it signalled.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
