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

/// The web pages: each handler reads the request, calls one use case of the core as the visitor, and
/// renders a template; a change is a form post with the session's CSRF token, answered by a redirect.
struct WebPages: Sendable {
    let live: LiveService
    let renderer: PageRenderer
    let site: HostedSite
    /// Told after a revocation, so that the public documents show it at once.
    let revoked: @Sendable () -> Void

    var service: BadgeService { live.current }

    typealias Context = MerkistoRequestContext

    func register(on router: Router<Context>) {
        router.get("/assets/merkisto.css") { request, _ in PublicDocuments.send(renderer.stylesheet, to: request) }
        router.get("/") { request, _ in
            let visitor = await Visitor.of(request, service: service)
            guard let actor = visitor.actor else { return PageRenderer.redirect("/signin") }
            return PageRenderer.redirect(actor.user.role == .client ? "/my" : "/clients")
        }
        router.get("/signin") { request, _ in await signInPage(request) }
        router.post("/signin") { request, _ in try await signIn(request) }
        router.post("/signin/code") { request, _ in try await signInWithCode(request) }
        router.post("/signout") { request, _ in try await change(request) { visitor, _, _ in await signOut(visitor) } }

        router.get("/clients") { request, _ in await page(request) { visitor, actor in try await clientList(request, visitor, actor) } }
        router.get("/clients/:client") { request, context in
            await page(request) { visitor, actor in try await clientPage(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.get("/clients/:client/assessment") { request, context in
            await page(request) { visitor, actor in try await assessmentForm(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/clients/:client/assessment") { request, context in
            try await change(request) { visitor, actor, form in
                try await recordAssessment(try context.parameters.require("client"), form, request, visitor, actor)
            }
        }
        router.get("/clients/:client/decision") { request, context in
            await page(request) { visitor, actor in try await decisionPage(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.get("/clients/:client/award") { request, context in
            await page(request) { visitor, actor in try await awardForm(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/award-earned") { request, _ in
            try await change(request) { visitor, actor, form in try await awardEarned(form, visitor, actor) }
        }
        router.post("/clients/:client/award") { request, context in
            try await change(request) { visitor, actor, form in try await award(try context.parameters.require("client"), form, visitor, actor) }
        }
        router.get("/clients/:client/attest") { request, context in
            await page(request) { visitor, actor in try await attestForm(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/clients/:client/attest") { request, context in
            try await change(request) { visitor, actor, form in try await attest(try context.parameters.require("client"), form, visitor, actor) }
        }
        router.post("/clients/:client/withdraw-attestation") { request, context in
            try await change(request) { visitor, actor, form in
                try await withdrawAttestation(try context.parameters.require("client"), form, visitor, actor)
            }
        }
        router.get("/clients/:client/erase") { request, context in
            await page(request) { visitor, actor in try await eraseForm(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/clients/:client/erase") { request, context in
            try await change(request) { visitor, actor, form in try await erase(try context.parameters.require("client"), form, request, visitor, actor) }
        }
        router.get("/clients/:client/revoke") { request, context in
            await page(request) { visitor, actor in try await revokeForm(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/clients/:client/revoke") { request, context in
            try await change(request) { visitor, actor, form in try await revoke(try context.parameters.require("client"), form, request, visitor, actor) }
        }
        router.get("/clients/:client/suspend") { request, context in
            await page(request) { visitor, actor in try await revokeForm(try context.parameters.require("client"), request, visitor, actor, suspending: true) }
        }
        router.post("/clients/:client/suspend") { request, context in
            try await change(request) { visitor, actor, form in try await suspend(try context.parameters.require("client"), form, request, visitor, actor) }
        }
        router.post("/clients/:client/lift") { request, context in
            try await change(request) { visitor, actor, form in try await liftSuspension(try context.parameters.require("client"), form, visitor, actor) }
        }
        router.post("/clients/:client/signin-code") { request, context in
            try await change(request) { visitor, actor, _ in try await signInCode(try context.parameters.require("client"), request, visitor, actor) }
        }
        router.post("/clients/:client/handover") { request, context in
            try await change(request) { visitor, actor, form in
                try requireStaff(actor, visitor)
                let handover = try await service.handover(
                    client: try context.parameters.require("client"), format: nil, clientAgreed: form["consent"] == "yes", as: actor)
                return Self.download(handover)
            }
        }
        router.get("/clients/:client/report") { request, context in
            await page(request) { visitor, actor in
                let report = try await service.progressReport(client: try context.parameters.require("client"), as: actor)
                return PageRenderer.html(
                    ProgressReportHTML(compiled: service.compiled, language: visitor.language).render(report), visitor: visitor,
                    policy: PageRenderer.reportPolicy)
            }
        }

        router.get("/my") { request, _ in await page(request) { visitor, actor in try await myBadges(request, visitor, actor) } }
        router.get("/my/export") { request, _ in await page(request) { visitor, actor in try await holderArchive(visitor, actor) } }
        router.post("/my/badges/:credential/share") { request, context in
            try await change(request) { _, actor, _ in
                let credential = try context.parameters.require("credential")
                _ = try await service.shareCredential(credential, as: actor)
                return PageRenderer.redirect("/my/badges/\(credential)?notice=shareOn#share")
            }
        }
        router.post("/my/badges/:credential/unshare") { request, context in
            try await change(request) { _, actor, _ in
                let credential = try context.parameters.require("credential")
                try await service.stopSharing(credential, as: actor)
                return PageRenderer.redirect("/my/badges/\(credential)?notice=shareOff#share")
            }
        }
        router.post("/my/handover") { request, _ in
            try await change(request) { visitor, actor, _ in
                let file = try await ownRecord(actor, visitor)
                return Self.download(try await service.handover(client: file.client.id, format: nil, as: actor))
            }
        }
        router.post("/my/badges/:credential/wallet") { request, context in
            try await change(request) { visitor, actor, _ in try await walletOffer(try context.parameters.require("credential"), request, visitor, actor) }
        }
        router.get("/wallet/:secret") { request, context in await walletInteraction(try context.parameters.require("secret"), request) }
        router.post("/wallet/:secret/exchange") { request, context in await walletExchange(try context.parameters.require("secret"), request) }
        router.get("/ims/ob/v3p0/discovery") { request, _ in await ob3Discovery(request) }
        router.post("/oauth/register") { request, _ in await oauthRegister(request) }
        router.get("/oauth/authorize") { request, _ in await authorizePage(request) }
        router.post("/oauth/authorize") { request, _ in try await change(request) { visitor, actor, form in try await authorize(form, request, visitor, actor) } }
        router.post("/oauth/token") { request, _ in await oauthTokenEndpoint(request) }
        router.post("/oauth/revoke") { request, _ in await oauthRevokeEndpoint(request) }
        router.get("/ims/ob/v3p0/credentials") { request, _ in await ob3Credentials(request) }
        router.get("/ims/ob/v3p0/profile") { request, _ in await ob3Profile(request) }
        router.post("/my/consents/:grant/withdraw") { request, context in
            try await change(request) { _, actor, _ in
                try await service.withdrawOAuthConsent(try context.parameters.require("grant"), as: actor)
                return PageRenderer.redirect("/my?notice=consentWithdrawn#consents")
            }
        }
        router.get("/shared/:token") { request, context in await sharedPage(try context.parameters.require("token"), request) }
        router.get("/my/progress") { request, _ in await page(request) { visitor, actor in try await myProgress(request, visitor, actor) } }
        router.get("/my/badges/:credential") { request, context in
            await page(request) { visitor, actor in try await badgePage(try context.parameters.require("credential"), request, visitor, actor) }
        }
        router.get("/my/badges/:credential/:file") { request, context in
            await page(request) { visitor, actor in
                try await download(try context.parameters.require("credential"), file: try context.parameters.require("file"), visitor, actor)
            }
        }

        router.get("/verify") { request, _ in await verifyPage(request, form: nil, report: nil) }
        router.post("/verify") { request, _ in try await verify(request) }

        AdminPages(pages: self).register(on: router)
    }

    // MARK: Handling

    /// A page for a signed-in visitor: without a session, the sign-in page; a refusal, an error page.
    func page(_ request: Request, _ body: (Visitor, Actor) async throws -> Response) async -> Response {
        let visitor = await Visitor.of(request, service: service)
        guard let actor = visitor.actor else { return PageRenderer.redirect("/signin") }
        do {
            return try await body(visitor, actor)
        } catch {
            return renderer.refusal(renderer.refusal(error, visitor: visitor), visitor: visitor, request: request)
        }
    }

    /// A form post that changes something: it needs a session and must repeat its CSRF token. The form may
    /// be `limit` bytes long.
    func change(
        _ request: Request, limit: Int = 1 << 20, _ body: (Visitor, Actor, SubmittedForm) async throws -> Response
    ) async throws -> Response {
        let visitor = await Visitor.of(request, service: service)
        guard let actor = visitor.actor, let session = visitor.session else { return PageRenderer.redirect("/signin") }
        do {
            let form = try await SubmittedForm.read(request, limit: limit)
            guard Self.sameToken(form["csrf"], session.csrf) else {
                throw PageRefusal(status: .forbidden, message: renderer.text("error.csrf", visitor))
            }
            return try await body(visitor, actor, form)
        } catch {
            var refusal = renderer.refusal(error, visitor: visitor)
            if refusal.message.isEmpty { refusal.message = renderer.text("error.form", visitor) }
            return renderer.refusal(refusal, visitor: visitor, request: request)
        }
    }

    /// Compares two tokens in constant time.
    static func sameToken(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        return ConstantTime.equal(given.utf8, expected.utf8)
    }

    func text(_ key: String, _ visitor: Visitor, _ arguments: [String: String] = [:]) -> String {
        renderer.text(key, visitor, arguments)
    }

    // MARK: Sign-in

    func signInPage(_ request: Request, error: String? = nil, user: String? = nil, status: HTTPResponse.Status = .ok) async -> Response {
        let visitor = await Visitor.of(request, service: service)
        let code = request.uri.queryParameters["code"].map(String.init)
        var values: [String: Any] = ["userValue": user ?? ""]
        if let next = Self.afterSignIn(request.uri.queryParameters["next"].map(String.init)) { values["next"] = next }
        if let code {
            values["codeForm"] = true
            values["codeValue"] = code
        }
        if let error { values["error"] = error }
        let title = code == nil ? text("signin.title", visitor) : text("signin.code.title", visitor)
        return signInForm(title: title, values, visitor: visitor, request: request, status: status)
    }

    /// The cookie of the sign-in forms' token: they are posted before there is a session, so they repeat a
    /// token that is also in this cookie (a double submit), and another site cannot sign a browser in.
    static let formCookie = "merkisto_form"

    /// The sign-in page with a new form token, in the page and in its cookie.
    func signInForm(title: String, _ values: [String: Any], visitor: Visitor, request: Request, status: HTTPResponse.Status) -> Response {
        let token = BadgeService.randomHex(16)
        var values = values
        values["formToken"] = token
        var response = renderer.page("signin", title: title, values, visitor: visitor, request: request, status: status)
        let cookie = Cookie(
            name: Self.formCookie, value: token, maxAge: 3600, path: "/signin", secure: site.layout.base.hasPrefix("https://"), httpOnly: true,
            sameSite: .strict)
        response.headers.append(HTTPField(name: .setCookie, value: cookie.description))
        return response
    }

    /// A sign-in form of at most 4 kB that repeats the token of its cookie, or why not: too large (413, said
    /// as such) or a token that does not hold (403).
    func submittedSignIn(_ request: Request, visitor: Visitor) async -> Result<SubmittedForm, PageRefusal> {
        let form: SubmittedForm?
        do {
            form = try await SubmittedForm.read(request, limit: 4 << 10)
        } catch let refusal as PageRefusal where refusal.status == .contentTooLarge {
            return .failure(PageRefusal(status: .contentTooLarge, message: text("signin.tooLarge", visitor)))
        } catch {
            form = nil
        }
        guard let form, let cookie = request.cookies[Self.formCookie]?.value, !cookie.isEmpty, Self.sameToken(form["form_token"], cookie) else {
            return .failure(PageRefusal(status: .forbidden, message: text("error.csrf", visitor)))
        }
        return .success(form)
    }

    func signIn(_ request: Request) async throws -> Response {
        let visitor = await Visitor.of(request, service: service)
        let form: SubmittedForm
        switch await submittedSignIn(request, visitor: visitor) {
        case .success(let submitted): form = submitted
        case .failure(let refusal): return await signInPage(request, error: refusal.message, user: "", status: refusal.status)
        }
        let user = form.value("user") ?? ""
        do {
            let signedIn = try await service.signIn(user: user, password: form["password"] ?? "", address: RequestCredentials.address)
            return started(signedIn, next: Self.afterSignIn(form["next"]))
        } catch {
            let refusal = renderer.refusal(error, visitor: visitor)
            return await signInPage(request, error: refusal.message, user: user, status: refusal.status)
        }
    }

    func signInWithCode(_ request: Request) async throws -> Response {
        let visitor = await Visitor.of(request, service: service)
        let refusal: PageRefusal
        var code = ""
        switch await submittedSignIn(request, visitor: visitor) {
        case .success(let form):
            code = form.value("code") ?? ""
            do {
                return await started(try service.signIn(code: code, address: RequestCredentials.address), next: Self.afterSignIn(form["next"]))
            } catch {
                refusal = renderer.refusal(error, visitor: visitor)
            }
        case .failure(let failure): refusal = failure
        }
        return signInForm(
            title: text("signin.code.title", visitor), ["codeForm": true, "codeValue": code, "codeError": refusal.message], visitor: visitor,
            request: request, status: refusal.status)
    }

    private func started(_ signedIn: SignedIn, next: String? = nil) -> Response {
        let cookie = SessionCookie.header(
            token: signedIn.token, maxAge: Int(BadgeService.sessionLength / 1_000_000), secure: site.layout.base.hasPrefix("https://"))
        return PageRenderer.redirect(next ?? (signedIn.user.role == .client ? "/my" : "/clients"), setCookie: cookie)
    }

    /// Where sign-in may go on to besides the person's own start page: only back to an authorization
    /// request on this server (never elsewhere, so that a link cannot send a person who signs in off-site).
    static func afterSignIn(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/oauth/authorize?"), !next.contains("\\"), next.utf8.count <= 4096 else { return nil }
        return next
    }

    func signOut(_ visitor: Visitor) async -> Response {
        if let token = visitor.sessionToken { try? await service.signOut(session: token) }
        return PageRenderer.redirect(
            "/signin?notice=signedOut", setCookie: SessionCookie.header(token: "", maxAge: 0, secure: site.layout.base.hasPrefix("https://")))
    }

    // MARK: Verification (public)

    func verifyPage(_ request: Request, form: SubmittedForm?, report: VerificationReport?, status: HTTPResponse.Status = .ok) async -> Response {
        let visitor = await Visitor.of(request, service: service)
        var values: [String: Any] = ["credentialValue": form?["credential"] ?? "", "emailValue": form?["email"] ?? ""]
        if let report {
            var result: [String: Any] = ["valid": report.isValid]
            result["headline"] = text(report.isValid ? "verify.valid" : Self.headline(report), visitor)
            result["failures"] = report.failures.map { $0.text(in: visitor.language) }
            var facts: [[String: String]] = []
            if let name = report.badgeName { facts.append(["label": text("verify.badge", visitor), "value": name]) }
            if let issuer = report.issuer { facts.append(["label": text("verify.issuer", visitor), "value": issuer]) }
            facts.append(["label": text("verify.kind", visitor), "value": report.kind])
            if let id = report.id { facts.append(["label": text("verify.id", visitor), "value": id]) }
            result["facts"] = facts
            values["result"] = result
        }
        return renderer.page("verify", title: text("verify.title", visitor), values, visitor: visitor, request: request, status: status)
    }

    /// The one plain headline of a failed verification: its most telling failure.
    static func headline(_ report: VerificationReport) -> String {
        for failure in report.failures {
            switch failure {
            case .revoked: return "verify.revoked"
            case .suspended: return "verify.suspended"
            case .expired: return "verify.expired"
            case .badSignature: return "verify.tampered"
            case .unknownKey: return "verify.unknownIssuer"
            case .recipientMismatch: return "verify.otherRecipient"
            default: continue
            }
        }
        return "verify.invalid"
    }

    /// The most the verification form takes: a credential, or a badge image with one baked in. What Merkisto
    /// issues is a few kilobytes to a few tens of kilobytes; 128 KB leaves a wide margin and keeps an
    /// anonymous post from costing the server more than a moment.
    static let verifyFormLimit = 128 << 10

    func verify(_ request: Request) async throws -> Response {
        let visitor = await Visitor.of(request, service: service)
        let form: SubmittedForm
        do {
            form = try await SubmittedForm.read(request, limit: Self.verifyFormLimit)
        } catch let refusal as PageRefusal where refusal.status != .contentTooLarge {
            return await verifyPage(request, form: nil, report: VerificationReport(kind: "", failures: [.malformed(text("verify.unreadable", visitor))]), status: refusal.status)
        } catch {
            return await verifyPage(request, form: nil, report: VerificationReport(kind: "", failures: [.malformed(text("verify.tooLarge", visitor))]), status: .contentTooLarge)
        }
        let input = form.files["image"].flatMap { $0.isEmpty ? nil : $0 } ?? form.value("credential").map { Array($0.utf8) }
        guard let input else {
            return renderer.page(
                "verify", title: text("verify.title", visitor), ["inputError": text("verify.nothing", visitor), "emailValue": form["email"] ?? ""],
                visitor: visitor, request: request, status: .badRequest)
        }
        do {
            return await verifyPage(request, form: form, report: try service.verify(input, recipientEmail: form.value("email")))
        } catch {
            let refusal = renderer.refusal(error, visitor: visitor)
            return renderer.refusal(refusal, visitor: visitor, request: request)
        }
    }
}
