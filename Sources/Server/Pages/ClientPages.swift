import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import Rendering
import NIOCore
import Storage

/// The client's own pages: "my badges", a page per badge with its downloads, and "my progress".
extension WebPages {
    /// The client record a client user may see (staff have the client pages instead).
    func ownRecord(_ actor: Actor, _ visitor: Visitor) async throws -> ClientFile {
        guard actor.user.role == .client, let client = actor.user.client else {
            throw PageRefusal(status: .forbidden, message: text("error.clientOnly", visitor))
        }
        return try await service.clientFile(client, as: actor)
    }

    /// The image of a badge as the site serves it.
    func imageURL(_ badge: String) -> String? {
        guard let definition = service.compiled.definitions.badge(badge) else { return nil }
        let fileExtension = URL(fileURLWithPath: definition.imagePath).pathExtension.lowercased()
        return site.basePath + site.layout.imagePath(badge, fileExtension: fileExtension)
    }

    func myBadges(_ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let file = try await ownRecord(actor, visitor)
        let words = words(visitor)
        // One entry per badge: its newest valid credential (an OB 2.0 twin is among that badge's downloads).
        var seen = Set<String>()
        let newest = file.credentials.reversed().filter { !file.isRevoked($0.id) && seen.insert($0.badge).inserted }
        let badges = newest.map { credential -> [String: Any] in
            var row: [String: Any] = [
                "name": words.writer.badgeName(credential.badge), "date": words.date(credential.issuedAt),
                "href": "/my/badges/" + credential.pageID,
            ]
            if let image = imageURL(credential.badge) { row["image"] = image }
            return row
        }
        let consents = try await service.oauthConsents(as: actor).map { consent -> [String: Any] in
            [
                "service": consent.service?.name ?? consent.grant.service, "date": words.date(consent.grant.createdAt),
                "action": "/my/consents/\(consent.grant.id)/withdraw",
            ]
        }
        return renderer.page(
            "my-badges", title: text("my.title", visitor),
            ["badges": badges, "hasBadges": !badges.isEmpty, "consents": consents, "hasConsents": !consents.isEmpty], visitor: visitor, request: request)
    }

    /// The client's own credential by the uuid in its page address.
    func ownCredential(_ uuid: String, _ actor: Actor, _ visitor: Visitor) async throws -> (IssuedCredential, ClientFile) {
        let file = try await ownRecord(actor, visitor)
        guard let credential = file.credentials.first(where: { $0.pageID == uuid }) else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": uuid])
        }
        return (credential, file)
    }

    func badgePage(_ uuid: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let (credential, file) = try await ownCredential(uuid, actor, visitor)
        let words = words(visitor)
        guard let badge = service.compiled.definitions.badge(credential.badge) else {
            throw CoreError(.notFound, key: "badge.notFound", ["badge": credential.badge])
        }
        // What the badge asks, in sentences without DigComp codes: a single "all of these" at the top is the
        // list itself.
        let outline = CriteriaNarrator(definitions: service.compiled.definitions, language: visitor.language, codes: false).outline(for: badge)
        let top = if case .allOf = badge.criteria.expression { outline.children } else { [outline] }
        // This credential's downloads, and those of its valid twins in other formats (issued with it).
        var downloads: [[String: String]] = []
        var formats = Set<CredentialFormat>()
        let twins = [credential] + file.credentials.reversed().filter { $0.badge == credential.badge && $0.id != credential.id && !file.isRevoked($0.id) }
        for twin in twins where formats.insert(twin.format).inserted {
            for download in CredentialFile.files(of: twin) {
                downloads.append(["href": "/my/badges/\(twin.pageID)/\(download.name)", "label": text(Self.downloadLabel(download.kind), visitor)])
            }
        }
        for path in [badge.imagePath] + (badge.pngPath.map { [$0] } ?? []) {
            let imageExtension = URL(fileURLWithPath: path).pathExtension.lowercased()
            downloads.append(["href": "/my/badges/\(uuid)/badge.\(imageExtension)", "label": text("badge.download.image", visitor, ["type": imageExtension.uppercased()])])
        }
        var values: [String: Any] = [
            "name": badge.name.text(in: visitor.language), "description": badge.description.text(in: visitor.language),
            "narrative": badge.narrative?.text(in: visitor.language) ?? "", "criteria": top.map(Self.outlineItem),
            "date": words.date(credential.issuedAt), "downloads": downloads,
        ]
        if let until = credential.validUntil { values["until"] = text("badge.until", visitor, ["date": words.date(until)]) }
        if file.isRevoked(credential.id) {
            values["revoked"] = true
        } else {
            let share = try await service.shares(as: actor).first { $0.credential == credential.id }
            values["share"] = ["on": share != nil, "url": try share.map { try service.shareURL($0) } ?? "", "action": "/my/badges/\(uuid)/" + (share == nil ? "share" : "unshare")] as [String: Any]
        }
        if service.validCredential(credential, in: file) { values["wallet"] = ["action": "/my/badges/\(uuid)/wallet"] }
        if let image = imageURL(credential.badge) { values["image"] = image }
        return renderer.page("badge", title: badge.name.text(in: visitor.language), values, visitor: visitor, request: request)
    }

    /// A download of the client's own credential: the VC-JWT, its payload as JSON, an OB 2.0 assertion,
    /// or the badge image with the credential baked in.
    func download(_ uuid: String, file name: String, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let (credential, _) = try await ownCredential(uuid, actor, visitor)
        let bytes: [UInt8]
        let type: String
        if let download = CredentialFile.files(of: credential).first(where: { $0.name == name }) {
            bytes = download.bytes
            type = download.mediaType
        } else if name.hasPrefix("badge.") {
            let baked = try await service.bakedCredential(credential.id, fileExtension: String(name.dropFirst("badge.".count)), as: actor)
            bytes = Array(baked.image)
            type = baked.fileExtension == "svg" ? "image/svg+xml" : "image/png"
        } else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": uuid])
        }
        let filename = "\(credential.badge)-\(name)"
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .contentDisposition: "attachment; filename=\"\(filename)\"", .cacheControl: "private, no-store",
                .xContentTypeOptions: "nosniff", .contentSecurityPolicy: HostedEntry.imagePolicy,
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Everything about the client as a zip (their record, their credentials, a README in the page's language).
    func holderArchive(_ visitor: Visitor, _ actor: Actor) async throws -> Response {
        _ = try await ownRecord(actor, visitor)
        let archive = try await service.holderArchive(language: visitor.language, as: actor)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(archive.fileName)\"", .cacheControl: "private, no-store",
                .xContentTypeOptions: "nosniff",
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: archive.bytes)))
    }

    /// A hand-over package as a download: never kept by a cache, never sniffed as another type.
    static func download(_ handover: Handover) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: handover.package.mediaType, .contentDisposition: "attachment; filename=\"\(handover.fileName)\"",
                .cacheControl: "private, no-store", .xContentTypeOptions: "nosniff",
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: handover.package.bytes)))
    }

    /// A share link's public page: the badge, its issuer and date and whether it is valid now; never who
    /// holds it. A link that is off, revoked or erased is "not found", as one that never was.
    func sharedPage(_ token: String, _ request: Request) async -> Response {
        let visitor = await Visitor.of(request, service: service)
        let shared: SharedBadge
        do {
            shared = try await service.sharedBadge(token: token)
        } catch {
            return renderer.refusal(PageRefusal(status: .notFound, message: text("shared.gone", visitor)), visitor: visitor, request: request)
        }
        let language = visitor.language
        let headline = shared.report.isValid ? "verify.valid" : Self.headline(shared.report)
        var values: [String: Any] = [
            "name": shared.badge.name.text(in: language), "description": shared.badge.description.text(in: language),
            "issuer": shared.issuer?.name.text(in: language) ?? "", "date": words(visitor).date(shared.issuedAt),
            "valid": shared.report.isValid, "status": text(headline, visitor),
        ]
        if let until = shared.validUntil { values["until"] = text("badge.until", visitor, ["date": words(visitor).date(until)]) }
        if let image = imageURL(shared.badge.id) { values["image"] = image }
        var response = renderer.page("shared", title: shared.badge.name.text(in: language), values, visitor: visitor, request: request)
        // The page is live (no copy kept anywhere), not for search engines, and its address is not passed on.
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("X-Robots-Tag")!] = "noindex, nofollow"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    static func outlineItem(_ outline: CriteriaNarrator.Outline) -> [String: Any] {
        ["sentence": outline.sentence, "hasChildren": !outline.children.isEmpty, "children": outline.children.map(outlineItem)]
    }

    /// The words for a file of a credential on its badge page.
    static func downloadLabel(_ kind: CredentialFile.Kind) -> String {
        switch kind {
        case .jwt: "badge.download.jwt"
        case .jwtPayload: "badge.download.json"
        case .dataIntegrity: "badge.download.ldp"
        case .hostedAssertion: "badge.download.ob2"
        case .signedAssertion: "badge.download.ob2Signed"
        case .bakedImage: "badge.download.image"
        }
    }

    func myProgress(_ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let file = try await ownRecord(actor, visitor)
        let result = try await service.evaluate(client: file.client.id, as: actor)
        let writer = words(visitor).writer
        // Each baseline: how many of its competences are at the level it asks, as a bar.
        let baselines = result.baselines.enumerated().map { index, baseline -> [String: Any] in
            let framework = service.compiled.definitions.frameworks.first { $0.id == baseline.framework }
            let total = framework?.baselines.first { $0.id == baseline.id }?.requirements.count ?? max(baseline.gaps.count, 1)
            let done = max(0, total - baseline.gaps.count)
            let percent = total == 0 ? 100 : done * 100 / total
            return [
                "name": writer.baselineName(baseline.id, framework: baseline.framework), "met": baseline.met, "percent": percent, "index": index,
                "summary": text("progress.summary", visitor, ["done": String(done), "total": String(total)]),
                "gaps": baseline.gaps.map { gap in
                    text("progress.gap", visitor, ["competence": writer.competenceName(gap.competence), "required": String(gap.required)])
                },
            ]
        }
        let next = result.next.prefix(3).map { step in
            ["name": writer.badgeName(step.badge), "missing": text("client.missing", visitor, ["count": String(step.missing)])]
        }
        return renderer.page(
            "my-progress", title: text("myProgress.title", visitor), ["baselines": baselines, "next": Array(next), "hasNext": !next.isEmpty],
            visitor: visitor, request: request)
    }
}
