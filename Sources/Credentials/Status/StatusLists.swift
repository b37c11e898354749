public import Basics
import Foundation

/// What a set bit means (Bitstring Status List `statusPurpose`).
public enum StatusPurpose: String, Sendable, CaseIterable {
    /// Revoked for good.
    case revocation
    /// Suspended until an instructor lifts it.
    case suspension
}

extension PublishLayout {
    /// The URL of a status list credential.
    public func statusList(_ purpose: StatusPurpose, _ list: Int) -> String { base + statusListPath(purpose, list) }
    public func statusListPath(_ purpose: StatusPurpose, _ list: Int) -> String { "status/\(purpose.rawValue)/\(list).json" }

    /// The purpose and list number of a status list path, if it is one.
    public func statusList(atPath path: String) -> (purpose: StatusPurpose, list: Int)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "status", let purpose = StatusPurpose(rawValue: String(parts[1])), parts[2].hasSuffix(".json"),
            let list = Int(parts[2].dropLast(5)), list >= 0, String(list) + ".json" == parts[2]
        else { return nil }
        return (purpose, list)
    }
}

extension OpenBadgeCredentialBuilder {
    /// The `credentialStatus` of a credential: its revocation bit. (The 1EdTech OB 3.0 schema allows one
    /// status object only; the suspension bit is at the same place of the suspension list of the same
    /// number, which Merkisto's verifier reads beside it.)
    func statusEntry(listURL: String, index: String) -> JSONValue {
        .object([
            "id": .string(listURL + "#" + index), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": .string(index), "statusListCredential": .string(listURL),
        ])
    }
}

extension CredentialPublisher {
    /// The status list credentials (revocation and suspension) of every list in use, each signed with an
    /// `eddsa-rdfc-2022` proof by the newest active Ed25519 key, its issuer the issuer's did:web.
    public func statusLists(_ state: StatusListState) throws -> [Document] {
        guard !state.lists.isEmpty else { return [] }
        let allKeys = try keys.list()
        guard let key = allKeys.last(where: { $0.algorithm == .edDSA && $0.isActive }) else {
            throw CredentialError(
                code: .unknownKey,
                message: "the status lists are signed with an Ed25519 key and there is no active one; make one with `merkisto keys generate --alg EdDSA`")
        }
        guard case .edDSA(let signingKey) = try keys.material(for: key).backing else {
            throw CredentialError(code: .wrongAlgorithm, message: "key \(key.kid) is not an Ed25519 key")
        }
        var documents: [Document] = []
        for list in state.lists.sorted() {
            for purpose in StatusPurpose.allCases {
                var bits = BitstringStatusList()
                for entry in purpose == .revocation ? state.revoked : state.suspended where entry.list == list { bits.set(entry.index) }
                let url = layout.statusList(purpose, list)
                let credential: [String: JSONValue] = [
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "id": .string(url),
                    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                    "issuer": .string(layout.did),
                    "validFrom": .string(state.changedAt.utcDescription),
                    "credentialSubject": .object([
                        "id": .string(url + "#list"), "type": "BitstringStatusList", "statusPurpose": .string(purpose.rawValue),
                        "encodedList": .string(try bits.encodedList()),
                    ]),
                ]
                let signed = try DataIntegrity.sign(
                    credential, key: signingKey, verificationMethod: layout.verificationMethod(key.kid), created: state.changedAt.utcDescription)
                documents.append(Document(path: layout.statusListPath(purpose, list), bytes: JSONValue.object(signed).prettyJSONData()))
            }
        }
        return documents
    }
}
