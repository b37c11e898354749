public import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// Everything Merkisto keeps about a client, for an administrator answering a data-subject request: the
/// record in the client-record format and every credential issued, exactly as issued.
public struct ClientExport: Sendable {
    /// The client-record document (`merkisto client export` writes the same bytes).
    public var record: [UInt8]
    public var credentials: [IssuedCredential]
    /// The ids of the credentials that are revoked.
    public var revoked: Set<String>
}

extension BadgeService {
    /// The client's whole record with their credentials (administrators). An erased client has none left.
    public func exportClient(_ id: String, as actor: Actor) async throws(CoreError) -> ClientExport {
        try await authorize(actor, .administer)
        let file = try await clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erasedExport", ["client": id]) }
        return ClientExport(record: ClientRecordFormat.write(file), credentials: file.credentials, revoked: Set(file.revocations.map(\.credentialID)))
    }

    /// Erases a client (administrators), once `confirm` repeats the client's id — a typed confirmation,
    /// since nothing brings the data back. What erasure removes: ``eraseClient(_:by:)``. Audited.
    public func eraseClient(_ id: String, confirm: String, as actor: Actor) async throws(CoreError) {
        try await authorize(actor, .administer)
        _ = try await clientFile(id)
        guard confirm == id else { throw CoreError(.invalid, key: "erase.confirm", ["client": id]) }
        try await eraseClient(id, by: actor.auditName)
    }
}

/// One file of an import: the client it brought in, or why it was refused (nothing of it was stored).
public struct ImportedFile: Sendable {
    /// The file's name as given (an upload's file name, a path, or the place in a JSON array: `[2]`).
    public var name: String
    public var result: Result<ClientFile, CoreError>
}

extension BadgeService {
    /// Reads client-record files into the store (administrators). Each file goes in whole or not at all:
    /// a refused file (with every problem and its JSON path) leaves nothing behind, and the files around it
    /// still go in. Each imported client is audited.
    public func importRecords(_ files: [(name: String, bytes: [UInt8])], as actor: Actor) async throws(CoreError) -> [ImportedFile] {
        try await authorize(actor, .administer)
        var imported: [ImportedFile] = []
        for file in files {
            let result: Result<ClientFile, CoreError>
            do {
                result = .success(try await importRecord(file.bytes, by: actor.auditName))
            } catch {
                result = .failure(error)
            }
            imported.append(ImportedFile(name: file.name, result: result))
        }
        return imported
    }
}

/// Everything about a client for them to take: a zip archive.
public struct HolderArchive: Sendable {
    /// The name to save it under (`merkisto-<client>.zip`).
    public var fileName: String
    public var bytes: [UInt8]
    /// The paths inside, in order.
    public var paths: [String]
}

extension BadgeService {
    /// Everything Merkisto keeps about the signed-in client, for them to take: a zip with their record
    /// (the client-record JSON), every credential they hold validly in every format it was issued in (each
    /// file as issued, the VC-JWT's credential also as JSON, and the badge image with the credential baked
    /// in), and a README in their language (`language`, else the client's own) saying what each file is.
    /// Only the client themselves (a client user, or a token of theirs with the read scope).
    public func holderArchive(language: Language? = nil, as actor: Actor) async throws -> HolderArchive {
        guard actor.user.role == .client, let client = actor.user.client else { throw CoreError(.forbidden, key: "holder.clientOnly") }
        let file = try await clientFile(client, as: actor)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erasedExport", ["client": client]) }
        let language = language ?? file.client.language ?? .fi
        let words = ArchiveWords(language: language)
        let time = now
        let folder = "merkisto-\(client)/"
        var entries: [(path: String, bytes: [UInt8])] = [("record.json", ClientRecordFormat.write(file))]
        var readme = [words.text("archive.intro"), "", "record.json", "  " + words.text("archive.record"), ""]
        // The valid ones, newest first; each badge in its own folder, its formats side by side.
        let held = validCredentials(file, at: time).reversed()
        var badges: [String] = []
        for credential in held where !badges.contains(credential.badge) { badges.append(credential.badge) }
        for badge in badges {
            let name = compiled.definitions.badge(badge)?.name.text(in: language) ?? badge
            readme.append("badges/\(badge)/ — \(name)")
            var taken = Set<CredentialFormat>()
            var files: [CredentialFile] = []
            for credential in held where credential.badge == badge && taken.insert(credential.format).inserted {
                files += CredentialFile.files(of: credential)
            }
            if let first = held.first(where: { $0.badge == badge }) {
                for image in (try? bakedImages(first)) ?? [] {
                    files.append(CredentialFile(kind: .bakedImage, name: "badge." + image.fileExtension, mediaType: "", bytes: Array(image.image)))
                }
            }
            for credentialFile in files {
                entries.append(("badges/\(badge)/\(credentialFile.name)", credentialFile.bytes))
                readme.append("  \(credentialFile.name): " + words.text("archive.\(credentialFile.kind.rawValue)"))
            }
            readme.append("")
        }
        if badges.isEmpty { readme += [words.text("archive.noBadges"), ""] }
        readme.append(words.text("archive.check"))
        entries.insert(("README.txt", Array((readme.joined(separator: "\n") + "\n").utf8)), at: 0)
        let files = entries.map { (path: folder + $0.path, bytes: $0.bytes) }
        let bytes = try Zip.make(files, modified: Date(timeIntervalSince1970: Double(time.microseconds) / 1_000_000))
        return HolderArchive(fileName: "merkisto-\(client).zip", bytes: bytes, paths: files.map(\.path))
    }
}

/// The README's words in Finnish, Swedish and English (`Resources/archive.json`).
struct ArchiveWords {
    static let table = Localizer(table: Bundle.module.url(forResource: "archive", withExtension: "json"))
    let language: Language

    func text(_ key: String) -> String { Self.table.text(key, language, [:]) }
}
