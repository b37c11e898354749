import Basics
import Credentials
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import NIOCore
import Storage

/// The Open Badges 3.0 API as a service provider: discovery, OAuth 2.0 registration, the consent page, the
/// token and revocation endpoints, and the two read endpoints. Every rule is the core's; these parse,
/// call and render (OAuth errors as RFC 6749 JSON, the API's as `Imsx_StatusInfo`).
extension WebPages {
    func ob3Discovery(_ request: Request) async -> Response {
        do {
            var response = Self.json(try service.ob3Discovery())
            response.headers[.cacheControl] = "public, max-age=3600"
            return response
        } catch {
            return Problem(error, language: .en).response
        }
    }

    func oauthRegister(_ request: Request) async -> Response {
        do {
            let body = try await Self.body(request, limit: 64 << 10)
            guard let document = try? StrictJSON.read(body) else { throw OAuthError("invalid_client_metadata", "the registration is not JSON") }
            var response = Self.json(try await service.registerOAuthClient(document, address: RequestCredentials.address))
            response.status = .created
            return response
        } catch let error as OAuthError {
            return Self.oauthError(error)
        } catch {
            return Self.oauthError(OAuthError("invalid_client_metadata", "the registration could not be read"))
        }
    }

    /// The consent page: a signed-in client sees which service asks for what, and allows or refuses. Not
    /// signed in: to the sign-in page, and back here after it.
    func authorizePage(_ request: Request) async -> Response {
        let visitor = await Visitor.of(request, service: service)
        let query = Self.query(request)
        let checked: AuthorizationRequest
        do {
            checked = try await service.authorizationRequest(query)
        } catch {
            if let redirect = error.redirect { return PageRenderer.redirect(redirect) }
            return renderer.refusal(PageRefusal(status: .badRequest, message: text("consent.broken", visitor, ["reason": error.description])), visitor: visitor, request: request)
        }
        guard let actor = visitor.actor else {
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "next", value: "/oauth/authorize?" + (request.uri.query ?? ""))]
            return PageRenderer.redirect("/signin" + (components.string ?? ""))
        }
        guard actor.user.role == .client else {
            return renderer.refusal(PageRefusal(status: .forbidden, message: text("consent.clientOnly", visitor)), visitor: visitor, request: request)
        }
        let service = checked.service
        let values: [String: Any] = [
            "service": service.name, "serviceURI": service.uri, "terms": service.termsURI, "policy": service.policyURI,
            "host": URL(string: checked.redirectURI)?.host ?? checked.redirectURI,
            "scopes": checked.scopes.compactMap(Self.scopeKey).map { text($0, visitor) },
            "fields": query.filter { Self.authorizationFields.contains($0.key) }.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
        ]
        var response = renderer.page("consent", title: text("consent.title", visitor, ["service": service.name]), values, visitor: visitor, request: request)
        response.headers[.cacheControl] = "private, no-store"
        // The answer goes back to the service: the form may lead there (a browser applies form-action to the
        // redirect after the post too), and nowhere else.
        if let target = URL(string: checked.redirectURI), let scheme = target.scheme, let host = target.host, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) {
            let origin = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)" + (target.port.map { ":\($0)" } ?? "")
            response.headers[.contentSecurityPolicy] = PageRenderer.pagePolicy.replacingOccurrences(of: "form-action 'self'", with: "form-action 'self' \(origin)")
        }
        return response
    }

    static let authorizationFields: Set<String> = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"]

    static func scopeKey(_ scope: String) -> String? {
        switch scope {
        case OB3Scope.credentialRead: "consent.scope.credentials"
        case OB3Scope.profileRead: "consent.scope.profile"
        case OB3Scope.offline: "consent.scope.offline"
        default: nil
        }
    }

    /// The client's answer on the consent page: allowed, the consent is recorded and the browser goes back to
    /// the service with a code; refused, with `access_denied`.
    func authorize(_ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        var query: [String: String] = [:]
        for name in Self.authorizationFields { if let value = form[name] { query[name] = value } }
        let checked: AuthorizationRequest
        do {
            checked = try await service.authorizationRequest(query)
        } catch {
            if let redirect = error.redirect { return PageRenderer.redirect(redirect) }
            throw PageRefusal(status: .badRequest, message: text("consent.broken", visitor, ["reason": error.description]))
        }
        if form["decision"] == "allow" { return PageRenderer.redirect(try await service.allowAuthorization(checked, as: actor)) }
        return PageRenderer.redirect(service.refuseAuthorization(checked))
    }

    func oauthTokenEndpoint(_ request: Request) async -> Response {
        do {
            let form = try await SubmittedForm.read(request, limit: 16 << 10).fields
            var response = Self.json(try await service.oauthToken(form, authorization: request.headers[.authorization]))
            response.headers[HTTPField.Name("Pragma")!] = "no-cache"
            return response
        } catch let error as OAuthError {
            return Self.oauthError(error)
        } catch {
            return Self.oauthError(OAuthError("invalid_request", "the request could not be read"))
        }
    }

    func oauthRevokeEndpoint(_ request: Request) async -> Response {
        do {
            let form = try await SubmittedForm.read(request, limit: 16 << 10).fields
            try await service.revokeOAuthToken(form, authorization: request.headers[.authorization])
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        } catch let error as OAuthError {
            return Self.oauthError(error)
        } catch {
            return Self.oauthError(OAuthError("invalid_request", "the request could not be read"))
        }
    }

    func ob3Credentials(_ request: Request) async -> Response {
        let query = Self.query(request)
        do {
            let page = try await service.ob3Credentials(
                bearer: request.headers[.authorization], limit: query["limit"], offset: query["offset"], since: query["since"])
            var response = Self.json(page.body)
            let base = site.layout.base + "ims/ob/v3p0/credentials"
            let since = query["since"].flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map { "&since=" + $0 } ?? ""
            response.headers[HTTPField.Name("X-Total-Count")!] = String(page.total)
            response.headers[HTTPField.Name("Link")!] = page.links.map { "<\(base)?limit=\(page.limit)&offset=\($0.offset)\(since)>; rel=\"\($0.rel)\"" }
                .joined(separator: ", ")
            return response
        } catch {
            return Self.imsxError(error)
        }
    }

    func ob3Profile(_ request: Request) async -> Response {
        do {
            return Self.json(try await service.ob3Profile(bearer: request.headers[.authorization]))
        } catch {
            return Self.imsxError(error)
        }
    }

    // MARK: Helpers

    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        var buffer = try await request.body.collect(upTo: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The query string read as a form by Hummingbird's URL-encoded form reader, as the form bodies are
    /// (`SubmittedForm`): OAuth clients write spaces as `+` (Authlib does), which is a space there.
    static func query(_ request: Request) -> [String: String] {
        (try? URLEncodedFormDecoder().decode([String: String].self, from: request.uri.query ?? "")) ?? [:]
    }

    static func oauthError(_ error: OAuthError) -> Response {
        var response = json(error.document)
        response.status = HTTPResponse.Status(code: error.status)
        response.headers[HTTPField.Name("Pragma")!] = "no-cache"
        if error.status == 401 { response.headers[.wwwAuthenticate] = "Basic realm=\"merkisto\"" }
        if error.status == 429 { response.headers[.retryAfter] = "60" }
        return response
    }

    static func imsxError(_ error: ImsxError) -> Response {
        var response = json(error.document)
        response.status = HTTPResponse.Status(code: error.status)
        if error.status == 401 { response.headers[.wwwAuthenticate] = "Bearer realm=\"merkisto\"" }
        return response
    }
}
