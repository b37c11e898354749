import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import Rendering
import Storage

/// The administrator's pages: definitions with their lint diagnostics, the dry run and reload; keys;
/// users; the audit log. Every rule is the core's (``LiveService``, ``BadgeService``).
struct AdminPages: Sendable {
    let pages: WebPages

    var service: BadgeService { pages.service }

    func register(on router: Router<WebPages.Context>) {
        router.get("/admin/definitions") { request, _ in await pages.page(request) { visitor, actor in try await definitions(request, visitor, actor) } }
        router.post("/admin/definitions/dry-run") { request, _ in
            try await pages.change(request) { visitor, actor, _ in try await definitions(request, visitor, actor, dryRun: true) }
        }
        router.post("/admin/definitions/reload") { request, _ in
            try await pages.change(request) { _, actor, _ in
                let (_, reloaded) = try await pages.live.reloadDefinitions(as: actor)
                return PageRenderer.redirect("/admin/definitions?notice=" + (reloaded ? "reloaded" : "unchanged"))
            }
        }
        router.post("/admin/definitions/upload") { request, _ in
            try await pages.change(request, limit: MerkistoServer.bodyLimit) { visitor, actor, form in
                guard let archive = form.uploads.first(where: { $0.field == "archive" && !$0.bytes.isEmpty })?.bytes else {
                    return try await definitions(request, visitor, actor, uploadError: pages.text("definitions.upload.none", visitor), status: .badRequest)
                }
                let upload: DefinitionsUpload
                do {
                    upload = try await pages.live.uploadDefinitions(archive, as: actor)
                } catch let error as CoreError where error.code == .invalid {
                    return try await definitions(request, visitor, actor, uploadError: error.message(in: visitor.language), status: .badRequest)
                }
                guard let digest = upload.digest else { return try await definitions(request, visitor, actor, refused: upload, status: .unprocessableContent) }
                return PageRenderer.redirect("/admin/definitions?notice=" + (upload.added ? "versionKept" : "versionKnown") + "#version-\(digest.prefix(12))")
            }
        }
        router.post("/admin/definitions/versions/:digest/dry-run") { request, context in
            try await pages.change(request) { visitor, actor, _ in
                try await definitions(request, visitor, actor, versionDryRun: try context.parameters.require("digest"))
            }
        }
        router.post("/admin/definitions/versions/:digest/activate") { request, context in
            try await pages.change(request) { _, actor, _ in
                try await pages.live.activateDefinitions(try context.parameters.require("digest"), as: actor)
                return PageRenderer.redirect("/admin/definitions?notice=versionActivated")
            }
        }
        router.get("/admin/keys") { request, _ in await pages.page(request) { visitor, actor in try await keys(request, visitor, actor) } }
        router.post("/admin/keys") { request, _ in
            try await pages.change(request) { visitor, actor, form in
                guard let algorithm = form.value("algorithm").flatMap(SigningAlgorithm.init(name:)) else {
                    throw PageRefusal(status: .badRequest, message: pages.text("error.form", visitor))
                }
                _ = try await pages.live.generateKey(algorithm, as: actor)
                return PageRenderer.redirect("/admin/keys?notice=keyMade")
            }
        }
        router.post("/admin/keys/retire") { request, _ in
            try await pages.change(request) { visitor, actor, form in
                guard let kid = form.value("kid") else { throw PageRefusal(status: .badRequest, message: pages.text("error.form", visitor)) }
                _ = try await pages.live.retireKey(kid, as: actor)
                return PageRenderer.redirect("/admin/keys?notice=keyRetired")
            }
        }
        router.get("/admin/users") { request, _ in await pages.page(request) { visitor, actor in try await users(request, visitor, actor) } }
        router.post("/admin/users") { request, _ in
            try await pages.change(request) { visitor, actor, form in
                guard let id = form.value("id"), let role = form.value("role").flatMap(User.Role.init(rawValue:)) else {
                    return try await users(request, visitor, actor, form: form, error: pages.text("error.form", visitor), status: .badRequest)
                }
                do {
                    _ = try await service.addUser(
                        id: id, role: role, displayName: nil, client: role == .client ? form.value("client") : nil,
                        units: role == .instructor ? form.value("unit").map { [$0] } ?? [] : [], as: actor)
                } catch let error as CoreError where error.code != .forbidden {
                    return try await users(request, visitor, actor, form: form, error: error.message(in: visitor.language), status: .badRequest)
                }
                return PageRenderer.redirect("/admin/users?notice=userAdded")
            }
        }
        router.post("/admin/units") { request, _ in
            try await pages.change(request) { visitor, actor, form in
                guard let id = form.value("unitId"), let name = form.value("unitName") else {
                    return try await users(request, visitor, actor, form: form, unitError: pages.text("error.form", visitor), status: .badRequest)
                }
                do {
                    _ = try await service.addUnit(id: id, name: name, as: actor)
                } catch let error as CoreError where error.code != .forbidden {
                    return try await users(request, visitor, actor, form: form, unitError: error.message(in: visitor.language), status: .badRequest)
                }
                return PageRenderer.redirect("/admin/users?notice=unitAdded")
            }
        }
        router.get("/admin/import") { request, _ in await pages.page(request) { visitor, actor in try await importPage(request, visitor, actor) } }
        router.post("/admin/import") { request, _ in
            try await pages.change(request, limit: Self.importFormLimit) { visitor, actor, form in try await importRecords(request, form, visitor, actor) }
        }
        router.get("/admin/audit") { request, _ in await pages.page(request) { visitor, actor in try await audit(request, visitor, actor) } }
        router.get("/admin/tokens") { request, _ in await pages.page(request) { visitor, actor in try await tokens(request, visitor, actor) } }
        router.post("/admin/tokens") { request, _ in
            try await pages.change(request) { visitor, actor, form in try await createToken(request, form, visitor, actor) }
        }
        router.post("/admin/tokens/revoke") { request, _ in
            try await pages.change(request) { visitor, actor, form in
                guard let id = form.value("token") else { throw PageRefusal(status: .badRequest, message: pages.text("error.form", visitor)) }
                try await service.revokeToken(id, as: actor)
                return PageRenderer.redirect("/admin/tokens?notice=tokenRevoked")
            }
        }
    }

    /// The most a page's import form may hold, and the most files in it (the multipart reader reads at most
    /// 64 parts).
    static let importFormLimit = 16 << 20
    static let importFormFiles = 50

    /// The form that imports client-record files; after an import, what became of each file.
    func importPage(
        _ request: Request, _ visitor: Visitor, _ actor: Actor, results: [ImportedFile]? = nil, error: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        // Only administrators import: the form is not shown to anyone else.
        try await service.authorize(actor, .administer)
        var values: [String: Any] = ["filesHint": pages.text("import.filesHint", visitor, ["limit": String(Self.importFormFiles)])]
        if let error { values["formError"] = error }
        if let results {
            let imported = results.compactMap { file -> [String: Any]? in
                guard case .success(let client) = file.result else { return nil }
                return [
                    "file": file.name, "client": client.client.id, "href": "/clients/" + client.client.id,
                    "assessments": pages.text("import.assessments", visitor, ["count": String(client.assessments.count)]),
                ]
            }
            let refused = results.compactMap { file -> [String: Any]? in
                guard case .failure(let error) = file.result else { return nil }
                return ["file": file.name, "message": error.message(in: visitor.language), "problems": error.problems, "hasProblems": !error.problems.isEmpty]
            }
            values["done"] = [
                "summary": pages.text("import.summary", visitor, ["imported": String(imported.count), "refused": String(refused.count)]),
                "imported": imported, "hasImported": !imported.isEmpty, "refused": refused, "hasRefused": !refused.isEmpty,
            ] as [String: Any]
        }
        return pages.renderer.page("import", title: pages.text("import.title", visitor), values, visitor: visitor, request: request, status: status)
    }

    func importRecords(_ request: Request, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let files = form.uploads.filter { $0.field == "files" && !($0.name.isEmpty && $0.bytes.isEmpty) }
        guard !files.isEmpty else { return try await importPage(request, visitor, actor, error: pages.text("import.none", visitor), status: .badRequest) }
        guard files.count <= Self.importFormFiles else {
            return try await importPage(request, visitor, actor, error: pages.text("import.tooMany", visitor, ["limit": String(Self.importFormFiles)]), status: .badRequest)
        }
        return try await importPage(request, visitor, actor, results: try service.importRecords(files.map { ($0.name, $0.bytes) }, as: actor))
    }

    /// The API tokens (never their secrets) and the form that makes one; `made`: the whole text of the one
    /// just made, shown this once.
    func tokens(
        _ request: Request, _ visitor: Visitor, _ actor: Actor, form: SubmittedForm? = nil, made: String? = nil, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let words = pages.words(visitor)
        let after = Self.after(request)
        let page = try await service.tokenPage(after: after, as: actor)
        let tokens = page.tokens.map { token -> [String: Any] in
            let state =
                token.revokedAt.map { pages.text("tokens.revoked", visitor, ["date": words.date($0)]) }
                ?? token.expiresAt.map { $0 <= service.now ? pages.text("tokens.expired", visitor, ["date": words.date($0)]) : pages.text("tokens.until", visitor, ["date": words.date($0)]) }
                ?? pages.text("tokens.active", visitor)
            return [
                "id": token.id, "user": token.user, "name": token.name, "scopes": token.scopes.map(\.rawValue).joined(separator: ", "),
                "created": words.date(token.createdAt), "state": state, "active": token.revokedAt == nil && (token.expiresAt.map { $0 > service.now } ?? true),
            ]
        }
        let users = try await service.staff(as: actor).map { user -> [String: Any] in
            ["value": user.id, "label": "\(user.id) (\(pages.text("role.\(user.role.rawValue)", visitor)))", "selected": form?["user"] == user.id]
        }
        let scopes = APIToken.Scope.allCases.map { scope -> [String: Any] in
            ["value": scope.rawValue, "label": pages.text("tokens.scope.\(scope.rawValue)", visitor), "checked": form?["scope-\(scope.rawValue)"] != nil]
        }
        var values: [String: Any] = [
            "tokens": tokens, "hasTokens": !tokens.isEmpty, "users": users, "scopes": scopes, "nameValue": form?["name"] ?? "",
            "expiresValue": form?["expires"] ?? "",
        ]
        if let next = page.next { values["next"] = "/admin/tokens?after=" + Self.queryValue(next) }
        if after != nil { values["first"] = "/admin/tokens" }
        if let made { values["made"] = made }
        if let error { values["formError"] = error }
        return pages.renderer.page("tokens", title: pages.text("tokens.title", visitor), values, visitor: visitor, request: request, status: status)
    }

    func createToken(_ request: Request, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let scopes = APIToken.Scope.allCases.filter { form.value("scope-\($0.rawValue)") != nil }
        var expiresAt: Timestamp?
        if let expires = form.value("expires") {
            guard let time = Timestamp.dateOrTime(expires) else {
                return try await tokens(request, visitor, actor, form: form, error: pages.text("tokens.badDate", visitor), status: .badRequest)
            }
            expiresAt = time
        }
        do {
            let made = try await service.createToken(for: form.value("user") ?? "", name: form.value("name") ?? "", scopes: scopes, expiresAt: expiresAt, as: actor)
            return try await tokens(request, visitor, actor, made: made.text, status: .created)
        } catch let error as CoreError where error.code != .forbidden {
            return try await tokens(request, visitor, actor, form: form, error: error.message(in: visitor.language), status: .badRequest)
        }
    }

    /// The definitions page: the kept versions (try one, put one in use), the upload form, and the folder on
    /// disk with its lint diagnostics. `dryRun`: the folder's dry run; `versionDryRun`: a kept version's;
    /// `refused`: an upload lint refused, with its diagnostics.
    func definitions(
        _ request: Request, _ visitor: Visitor, _ actor: Actor, dryRun: Bool = false, versionDryRun: String? = nil, refused: DefinitionsUpload? = nil,
        uploadError: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var values: [String: Any] = [:]
        let words = pages.words(visitor)
        let state: DefinitionsState
        func dryRunValues(_ changes: [DryRunChange], clients: Int, version: String?) -> [String: Any] {
            [
                "summary": pages.text("definitions.dryRun.summary", visitor, ["clients": String(clients), "changed": String(changes.count)]),
                "version": version.map { pages.text("definitions.dryRun.version", visitor, ["digest": String($0.prefix(12))]) } ?? "",
                "changes": changes.map { change -> [String: Any] in
                    [
                        "client": change.client, "gained": change.gained.map(words.writer.badgeName).joined(separator: ", "),
                        "lost": change.lost.map(words.writer.badgeName).joined(separator: ", "), "unbindable": change.unbindable.joined(separator: "; "),
                    ]
                },
                "hasChanges": !changes.isEmpty,
            ]
        }
        if dryRun {
            let (checked, changes, clients) = try await pages.live.dryRunDefinitions(as: actor)
            state = checked
            values["dryRun"] = dryRunValues(changes, clients: clients, version: nil)
        } else {
            state = try await pages.live.definitions(as: actor)
        }
        if let versionDryRun {
            let (changes, clients) = try await pages.live.dryRunDefinitions(version: versionDryRun, as: actor)
            var result = dryRunValues(changes, clients: clients, version: versionDryRun)
            result["activate"] = "/admin/definitions/versions/\(versionDryRun)/activate"
            values["dryRun"] = result
        }
        let after = Self.after(request)
        let page = try await pages.live.definitionsVersionPage(after: after, as: actor)
        if let next = page.next { values["versionsNext"] = "/admin/definitions?after=" + Self.queryValue(next) + "#versions-heading" }
        if after != nil { values["versionsFirst"] = "/admin/definitions#versions-heading" }
        values["versions"] = page.versions.map { state -> [String: Any] in
            let digest = state.version.digest
            return [
                "digest": String(digest.prefix(12)), "full": digest, "at": words.date(state.version.uploadedAt) + " " + Self.time(state.version.uploadedAt),
                "by": state.version.uploadedBy, "files": state.version.files, "active": state.active,
                "dryRun": "/admin/definitions/versions/\(digest)/dry-run", "activate": "/admin/definitions/versions/\(digest)/activate",
            ]
        }
        if let uploadError { values["uploadError"] = uploadError }
        if let refused {
            values["refused"] = [
                "summary": pages.text("definitions.upload.refused", visitor, ["count": String(refused.diagnostics.filter { $0.severity == .error }.count)]),
                "diagnostics": refused.diagnostics.map { diagnosticValues($0, visitor) },
            ] as [String: Any]
        }
        values["directory"] = state.directory
        values["files"] = state.files.count
        values["live"] = String(state.liveDigest.prefix(12))
        values["disk"] = state.diskDigest.map { String($0.prefix(12)) } ?? "–"
        values["changed"] = state.changed
        values["hasErrors"] = state.errorCount > 0
        values["diagnostics"] = state.diagnostics.map { diagnosticValues($0, visitor) }
        values["hasDiagnostics"] = !state.diagnostics.isEmpty
        return pages.renderer.page("definitions", title: pages.text("definitions.title", visitor), values, visitor: visitor, request: request, status: status)
    }

    func diagnosticValues(_ diagnostic: Diagnostic, _ visitor: Visitor) -> [String: Any] {
        [
            "error": diagnostic.severity == .error, "severity": pages.text("definitions.\(diagnostic.severity.rawValue)", visitor),
            "where": "\(diagnostic.location.file):\(diagnostic.location.line):\(diagnostic.location.column)",
            "code": diagnostic.code.rawValue, "message": diagnostic.message,
        ]
    }

    func keys(_ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let words = pages.words(visitor)
        let keys = try await pages.live.keys(as: actor).map { key -> [String: Any] in
            [
                "kid": key.kid, "algorithm": key.algorithm.rawValue, "created": words.date(key.created),
                "state": key.retired.map { pages.text("keys.retired", visitor, ["date": words.date($0)]) } ?? pages.text("keys.active", visitor),
                "active": key.isActive,
            ]
        }
        let algorithms = SigningAlgorithm.allCases.map { ["value": $0.rawValue, "selected": $0 == .es256] as [String: Any] }
        return pages.renderer.page(
            "keys", title: pages.text("keys.title", visitor), ["keys": keys, "algorithms": algorithms], visitor: visitor, request: request)
    }

    /// Where a page of a list starts: the `after` of its address (nil: the first page).
    static func after(_ request: Request) -> String? {
        request.uri.queryParameters["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A value written into an address's query.
    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    func users(
        _ request: Request, _ visitor: Visitor, _ actor: Actor, form: SubmittedForm? = nil, error: String? = nil, unitError: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let after = Self.after(request)
        let page = try await service.userPage(after: after, as: actor)
        let users = page.users.map { user -> [String: Any] in
            [
                "id": user.id, "role": pages.text("role.\(user.role.rawValue)", visitor),
                "scope": user.client ?? (user.units.isEmpty ? "–" : user.units.joined(separator: ", ")),
            ]
        }
        let roles = [User.Role.instructor, .admin, .client].map { role -> [String: Any] in
            ["value": role.rawValue, "label": pages.text("role.\(role.rawValue)", visitor), "selected": (form?["role"] ?? "instructor") == role.rawValue]
        }
        let units = try await service.units().map { ["id": $0.id, "name": $0.name, "selected": form?["unit"] == $0.id] as [String: Any] }
        var values: [String: Any] = [
            "users": users, "roles": roles, "units": units, "idValue": form?["id"] ?? "", "clientValue": form?["client"] ?? "",
            "unitIdValue": form?["unitId"] ?? "", "unitNameValue": form?["unitName"] ?? "",
        ]
        if let next = page.next { values["next"] = "/admin/users?after=" + Self.queryValue(next) }
        if after != nil { values["first"] = "/admin/users" }
        if let error { values["formError"] = error }
        if let unitError { values["unitError"] = unitError }
        return pages.renderer.page("users", title: pages.text("users.heading", visitor), values, visitor: visitor, request: request, status: status)
    }

    func audit(_ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let after = request.uri.queryParameters["after"].flatMap { Int64(String($0)) } ?? 0
        let page = try await service.auditLog(after: after, limit: 100, as: actor)
        let entries = page.entries
        let words = pages.words(visitor)
        var values: [String: Any] = [
            "intact": page.intact, "entries": entries.map { entry -> [String: Any] in
                [
                    "sequence": entry.sequence, "at": words.date(entry.at) + " " + Self.time(entry.at), "actor": entry.actor, "action": entry.action,
                    "subject": entry.subject, "detail": entry.detail,
                ]
            },
        ]
        if let last = entries.last, last.sequence < page.last { values["more"] = "/admin/audit?after=\(last.sequence)" }
        // The newest entries: the last page of the log.
        let newest = max(0, page.last - 100)
        if newest > after { values["newest"] = "/admin/audit?after=\(newest)" }
        return pages.renderer.page("audit", title: pages.text("audit.title", visitor), values, visitor: visitor, request: request)
    }

    /// hh:mm in the timestamp's own offset.
    static func time(_ at: Timestamp) -> String {
        let text = at.description
        guard let t = text.firstIndex(of: "T") else { return "" }
        return String(text[text.index(after: t)...].prefix(5))
    }
}
