public import Basics
import Credentials
import Crypto
import Definitions
import Evaluation
import Foundation
public import Storage

/// The scopes the Open Badges 3.0 API here serves (read only), and `offline_access`, which a service may ask
/// for alongside them.
public enum OB3Scope {
    public static let credentialRead = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
    public static let profileRead = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
    public static let offline = "offline_access"
    public static let supported = [credentialRead, profileRead]
}

/// An OAuth 2.0 error (RFC 6749 §5.2, RFC 7591 §3.2.2): the status, the error code and a description in
/// ASCII.
public struct OAuthError: Error, Sendable, Equatable {
    public var status: Int
    public var error: String
    public var description: String

    public init(_ error: String, _ description: String, status: Int = 400) {
        self.status = status
        self.error = error
        self.description = description
    }

    public var document: JSONValue { .object(["error": .string(error), "error_description": .string(description)]) }
}

/// A checked authorization request, for the consent page.
public struct AuthorizationRequest: Sendable {
    public var service: OAuthClient
    public var redirectURI: String
    /// The scopes asked that the service registered and Merkisto serves, in that order.
    public var scopes: [String]
    public var state: String
    public var codeChallenge: String
}

/// Why an authorization request cannot go on: shown to the person (`redirect` nil: the service or its
/// redirect URI is not known, so nothing is sent there), or sent back to the service's redirect URI.
public struct AuthorizationRefusal: Error, Sendable {
    public var error: String
    public var description: String
    public var redirect: String?
}

extension BadgeService {
    /// An access token works this long (1EdTech recommends an hour); a refresh token 30 days; a code 10 minutes.
    static let accessLifetime: Int64 = 3600 * 1_000_000
    static let refreshLifetime: Int64 = 30 * 24 * 3600 * 1_000_000
    static let authorizationCodeLifetime: Int64 = 600 * 1_000_000
    /// A registration no client has allowed is removed after a day (the service registers again): anyone may
    /// register, so unused registrations must not pile up.
    static let unusedRegistrationLifetime: Int64 = 24 * 3600 * 1_000_000

    static func sha256Hex(_ text: String) -> String { Hex.encode(SHA256.hash(data: Array(text.utf8))) }

    static func randomToken(_ bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    // MARK: Discovery and registration

    /// The Service Description Document (`GET /ims/ob/v3p0/discovery`): a profiled OpenAPI 3.0 document with
    /// the OAuth 2.0 authorization code flow, its URLs and scopes, and the registration URL.
    public func ob3Discovery() throws(CoreError) -> JSONValue {
        let base = try layoutBase()
        let issuer = compiled.definitions.issuers.first
        let name = issuer?.name.text(in: .en) ?? "Merkisto"
        let site = issuer?.url ?? base
        let scopes: [String: JSONValue] = [
            OB3Scope.credentialRead: "Read the badges the person holds (OpenBadgeCredentials).",
            OB3Scope.profileRead: "Read the person's profile (a pseudonymous id).",
        ]
        let unauthorized: JSONValue = .object(["$ref": "#/components/schemas/Imsx_StatusInfo"])
        func operation(_ id: String, _ scope: String, _ summary: String) -> JSONValue {
            .object([
                "operationId": .string(id), "summary": .string(summary), "security": [.object(["OAuth2ACG": [.string(scope)]])],
                "responses": .object([
                    "200": .object(["description": "OK"]),
                    "default": .object(["description": "Imsx_StatusInfo", "content": .object(["application/json": .object(["schema": unauthorized])])]),
                ]),
            ])
        }
        return .object([
            "openapi": "3.0.1",
            "info": .object([
                "title": .string(name), "version": "3.0", "termsOfService": .string(site), "x-imssf-privacyPolicyUrl": .string(site),
                "description": "Open Badges 3.0 API (read): a person's badges and profile, with the person's consent.",
            ]),
            "servers": [.object(["url": .string(base + "ims/ob/v3p0")])],
            "paths": .object([
                "/credentials": .object(["get": operation("getCredentials", OB3Scope.credentialRead, "The person's OpenBadgeCredentials.")]),
                "/profile": .object(["get": operation("getProfile", OB3Scope.profileRead, "The person's profile.")]),
            ]),
            "components": .object([
                "securitySchemes": .object([
                    "OAuth2ACG": .object([
                        "type": "oauth2", "description": "OAuth 2.0 Authorization Code Grant authorization (PKCE S256)",
                        "x-imssf-name": .string(name), "x-imssf-privacyPolicyUrl": .string(site), "x-imssf-termsOfServiceUrl": .string(site),
                        "x-imssf-registrationUrl": .string(base + "oauth/register"),
                        "flows": .object([
                            "authorizationCode": .object([
                                "authorizationUrl": .string(base + "oauth/authorize"), "tokenUrl": .string(base + "oauth/token"),
                                "refreshUrl": .string(base + "oauth/token"), "x-imssf-revocationUrl": .string(base + "oauth/revoke"),
                                "scopes": .object(scopes),
                            ])
                        ]),
                    ])
                ]),
                "schemas": .object([
                    "Imsx_StatusInfo": .object([
                        "type": "object", "required": ["imsx_codeMajor", "imsx_severity"],
                        "properties": .object([
                            "imsx_codeMajor": .object(["type": "string", "enum": ["success", "processing", "failure", "unsupported"]]),
                            "imsx_severity": .object(["type": "string", "enum": ["status", "warning", "error"]]),
                            "imsx_description": .object(["type": "string"]), "imsx_codeMinor": .object(["type": "object"]),
                        ]),
                    ])
                ]),
            ]),
        ])
    }

    /// OAuth 2.0 dynamic client registration (RFC 7591, 1EdTech profile, no initial access token): every
    /// field the profile requires, redirect URIs over HTTPS (or http on the loopback, RFC 8252) on one host,
    /// `client_secret_basic`, the grant types `authorization_code` and `refresh_token`, the response type
    /// `code`. Scopes Merkisto does not serve are left out of the answer. The secret is shown once; only its
    /// SHA-256 is kept. Audited.
    ///
    /// - Parameter address: where the request came from: registrations are counted per address and overall
    ///   (``SignInThrottle/registrationsPerAddress``), and refused with 429 beyond that for the window.
    public func registerOAuthClient(_ body: JSONValue, address: String? = nil) async throws(OAuthError) -> JSONValue {
        if let wait = try? await throttle.registrationWait(address: address, now: now) {
            throw OAuthError("temporarily_unavailable", "too many registrations; try again in \(wait) s", status: 429)
        }
        guard case .object(let fields) = body else { throw OAuthError("invalid_client_metadata", "the registration is not a JSON object") }
        func text(_ name: String) throws(OAuthError) -> String {
            guard case .string(let value)? = fields[name], !value.isEmpty, value.count <= 2000 else {
                throw OAuthError("invalid_client_metadata", "\(name) is required (a non-empty string)")
            }
            return value
        }
        func list(_ name: String, default fallback: [String]?) throws(OAuthError) -> [String] {
            guard let value = fields[name] else {
                if let fallback { return fallback }
                throw OAuthError("invalid_client_metadata", "\(name) is required (an array of strings)")
            }
            guard case .array(let items) = value, !items.isEmpty, items.count <= 20 else {
                throw OAuthError("invalid_client_metadata", "\(name) must be a non-empty array")
            }
            var strings: [String] = []
            for item in items {
                guard case .string(let string) = item else { throw OAuthError("invalid_client_metadata", "\(name) must hold strings") }
                strings.append(string)
            }
            return strings
        }
        let name = try text("client_name")
        let uris = [try text("client_uri"), try text("logo_uri"), try text("tos_uri"), try text("policy_uri")]
        let softwareID = try text("software_id")
        let softwareVersion = try text("software_version")
        let redirects = try list("redirect_uris", default: nil)
        for redirect in redirects where !Self.isAcceptableRedirect(redirect) {
            throw OAuthError("invalid_redirect_uri", "redirect URIs must be absolute https URLs (or http on 127.0.0.1 / localhost) without a fragment")
        }
        for uri in uris where URL(string: uri)?.scheme.map({ ["https", "http"].contains($0) }) != true {
            throw OAuthError("invalid_client_metadata", "client_uri, logo_uri, tos_uri and policy_uri must be URLs")
        }
        if case .string(let method)? = fields["token_endpoint_auth_method"], method != "client_secret_basic" {
            throw OAuthError("invalid_client_metadata", "only client_secret_basic is supported")
        }
        let grants = try list("grant_types", default: ["authorization_code"])
        guard grants.allSatisfy({ ["authorization_code", "refresh_token"].contains($0) }) else {
            throw OAuthError("invalid_client_metadata", "grant_types may hold authorization_code and refresh_token only")
        }
        guard try list("response_types", default: ["code"]) == ["code"] else { throw OAuthError("invalid_client_metadata", "response_types must be [\"code\"]") }
        let contacts = try list("contacts", default: [])
        let asked = (try? text("scope"))?.split(separator: " ").map(String.init) ?? OB3Scope.supported
        let scopes = asked.filter { OB3Scope.supported.contains($0) || $0 == OB3Scope.offline }
        guard scopes.contains(where: OB3Scope.supported.contains) else {
            throw OAuthError("invalid_client_metadata", "scope names none of the scopes served: \(OB3Scope.supported.joined(separator: " "))")
        }
        let secret = Self.randomToken()
        let client = OAuthClient(
            id: Self.randomToken(16), secretHash: Self.sha256Hex(secret), name: name, uri: uris[0], logoURI: uris[1], termsURI: uris[2], policyURI: uris[3],
            softwareID: softwareID, softwareVersion: softwareVersion, redirectURIs: redirects, scopes: scopes, contacts: contacts, createdAt: now)
        do {
            try await throttle.registered(address: address, now: client.createdAt)
            try await store.addOAuthClient(
                client, removingUnusedBefore: Timestamp(microseconds: client.createdAt.microseconds - Self.unusedRegistrationLifetime), at: client.createdAt)
        } catch { throw OAuthError("server_error", "the registration could not be kept", status: 500) }
        var answer = fields
        answer["client_id"] = .string(client.id)
        answer["client_secret"] = .string(secret)
        answer["client_id_issued_at"] = .int(Int(client.createdAt.seconds))
        answer["client_secret_expires_at"] = 0
        answer["token_endpoint_auth_method"] = "client_secret_basic"
        answer["grant_types"] = .array(grants.map { .string($0) })
        answer["response_types"] = ["code"]
        answer["scope"] = .string(scopes.joined(separator: " "))
        return .object(answer)
    }

    static func isAcceptableRedirect(_ text: String) -> Bool {
        guard let url = URL(string: text), url.fragment == nil, let host = url.host, !host.isEmpty else { return false }
        switch url.scheme {
        case "https": return true
        case "http": return ["127.0.0.1", "localhost", "::1"].contains(host)
        default: return false
        }
    }

    // MARK: Authorization and consent

    /// Checks an authorization request (RFC 6749 §4.1.1 with PKCE S256, RFC 7636): an unknown service or a
    /// redirect URI it did not register is shown to the person only; any other fault goes back to the
    /// service's redirect URI.
    public func authorizationRequest(_ query: [String: String]) async throws(AuthorizationRefusal) -> AuthorizationRequest {
        guard let id = query["client_id"], let service = try? await store.oauthClient(id: id) else {
            throw AuthorizationRefusal(error: "invalid_request", description: "unknown client_id", redirect: nil)
        }
        guard let redirect = query["redirect_uri"], service.redirectURIs.contains(redirect) else {
            throw AuthorizationRefusal(error: "invalid_request", description: "redirect_uri is not one the service registered", redirect: nil)
        }
        let state = query["state"]
        func back(_ error: String, _ description: String) -> AuthorizationRefusal {
            AuthorizationRefusal(error: error, description: description, redirect: Self.redirect(redirect, ["error": error, "error_description": description, "state": state]))
        }
        guard query["response_type"] == "code" else { throw back("unsupported_response_type", "response_type must be code") }
        guard let state, !state.isEmpty else { throw back("invalid_request", "state is required") }
        guard let challenge = query["code_challenge"], query["code_challenge_method"] == "S256", challenge.count >= 43, challenge.count <= 128 else {
            throw back("invalid_request", "PKCE is required: code_challenge with code_challenge_method S256")
        }
        let asked = (query["scope"] ?? "").split(separator: " ").map(String.init)
        guard !asked.isEmpty, asked.allSatisfy({ service.scopes.contains($0) }) else {
            throw back("invalid_scope", "scope must name scopes the service registered: \(service.scopes.joined(separator: " "))")
        }
        return AuthorizationRequest(service: service, redirectURI: redirect, scopes: asked, state: state, codeChallenge: challenge)
    }

    /// The signed-in client allows the request: the consent is recorded (audited) with a code for the service;
    /// the answer is where to send the browser. Only a client user allows, for themselves.
    public func allowAuthorization(_ request: AuthorizationRequest, as actor: Actor) async throws(CoreError) -> String {
        guard actor.user.role == .client, let client = actor.user.client, actor.scopes == nil else { throw CoreError(.forbidden, key: "holder.clientOnly") }
        _ = try await liveFile(client)
        let time = now
        let code = Self.randomToken()
        let grant = OAuthGrant(id: Self.randomToken(16), service: request.service.id, client: client, user: actor.user.id, scopes: request.scopes, createdAt: time)
        let token = OAuthToken(
            hash: Self.sha256Hex(code), kind: .code, grant: grant.id, scopes: request.scopes, expiresAt: Timestamp(microseconds: time.microseconds + Self.authorizationCodeLifetime),
            redirectURI: request.redirectURI, codeChallenge: request.codeChallenge)
        try await stored { () async throws(StoreError) in try await store.addOAuthGrant(grant, code: token, by: actor.auditName, at: time) }
        return Self.redirect(request.redirectURI, ["code": code, "scope": request.scopes.joined(separator: " "), "state": request.state])
    }

    /// The client refuses: back to the service with `access_denied`; nothing is kept.
    public func refuseAuthorization(_ request: AuthorizationRequest) -> String {
        Self.redirect(request.redirectURI, ["error": "access_denied", "error_description": "the person did not allow it", "state": request.state])
    }

    static func redirect(_ uri: String, _ parameters: [String: String?]) -> String {
        var components = URLComponents(string: uri) ?? URLComponents()
        var items = components.queryItems ?? []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        components.queryItems = items
        // A `+` in a value must reach the service as itself, not as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? uri
    }

    // MARK: Tokens

    /// The token endpoint (RFC 6749 §4.1.3, §6 with PKCE): the service authenticates with HTTP Basic
    /// (`client_id:client_secret`); `authorization_code` with the code, its redirect URI and the PKCE
    /// verifier, or `refresh_token`. A code used twice revokes every token it gave. Audited.
    public func oauthToken(_ form: [String: String], authorization: String?) async throws(OAuthError) -> JSONValue {
        let service = try await authenticateService(authorization)
        let time = now
        let presented: String
        let kind: OAuthToken.Kind
        switch form["grant_type"] {
        case "authorization_code":
            guard let code = form["code"], let verifier = form["code_verifier"], let redirect = form["redirect_uri"] else {
                throw OAuthError("invalid_request", "code, redirect_uri and code_verifier are required")
            }
            presented = code
            kind = .code
            guard let token = try? await store.oauthToken(hash: Self.sha256Hex(code)), token.kind == .code, let grant = try? await store.oauthGrant(id: token.grant),
                grant.service == service.id
            else { throw OAuthError("invalid_grant", "the code is not valid") }
            if token.usedAt != nil {
                // Used before: whoever holds it now is not to be trusted with what it gave.
                try? await store.revokeOAuthTokens(hash: nil, origin: token.hash, grant: nil, at: time)
                throw OAuthError("invalid_grant", "the code was used already")
            }
            guard token.redirectURI == redirect else { throw OAuthError("invalid_grant", "redirect_uri is not the one the code was issued for") }
            guard verifier.count >= 43, verifier.count <= 128,
                Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8)))) == token.codeChallenge
            else { throw OAuthError("invalid_grant", "code_verifier does not match the code_challenge") }
        case "refresh_token":
            guard let refresh = form["refresh_token"] else { throw OAuthError("invalid_request", "refresh_token is required") }
            presented = refresh
            kind = .refresh
        case nil:
            throw OAuthError("invalid_request", "grant_type is required")
        default:
            throw OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        }
        let hash = Self.sha256Hex(presented)
        guard let token = try? await store.oauthToken(hash: hash), token.kind == kind, let grant = try? await store.oauthGrant(id: token.grant),
            grant.service == service.id
        else { throw OAuthError("invalid_grant", "the \(kind == .code ? "code" : "refresh token") is not valid") }
        var scopes = token.scopes
        if let asked = form["scope"]?.split(separator: " ").map(String.init), !asked.isEmpty {
            guard asked.allSatisfy(token.scopes.contains) else { throw OAuthError("invalid_scope", "scope asks for more than was allowed") }
            scopes = asked
        }
        let origin = token.origin ?? token.hash
        let access = Self.randomToken()
        let refresh = Self.randomToken()
        let issued = [
            OAuthToken(hash: Self.sha256Hex(access), kind: .access, grant: grant.id, scopes: scopes, expiresAt: Timestamp(microseconds: time.microseconds + Self.accessLifetime), origin: origin),
            OAuthToken(hash: Self.sha256Hex(refresh), kind: .refresh, grant: grant.id, scopes: token.scopes, expiresAt: Timestamp(microseconds: time.microseconds + Self.refreshLifetime), origin: origin),
        ]
        let redeemed: Bool
        do { redeemed = try await store.redeemOAuthToken(hash: hash, kind: kind, issuing: issued, at: time) } catch {
            throw OAuthError("server_error", "the token could not be kept", status: 500)
        }
        guard redeemed else { throw OAuthError("invalid_grant", "the \(kind == .code ? "code" : "refresh token") is not valid (expired, used or withdrawn)") }
        try? await store.recordEvent(action: "oauth.token", subject: grant.client, detail: "service \(service.id), grant \(grant.id), \(kind.rawValue)", by: "oauth", at: time)
        return .object([
            "access_token": .string(access), "token_type": "Bearer", "expires_in": .int(Int(Self.accessLifetime / 1_000_000)),
            "refresh_token": .string(refresh), "scope": .string(scopes.joined(separator: " ")),
        ])
    }

    /// Token revocation (RFC 7009): the service revokes one of its tokens; a refresh token takes the access
    /// tokens of the same consent with it. Unknown tokens are answered as revoked. Audited.
    public func revokeOAuthToken(_ form: [String: String], authorization: String?) async throws(OAuthError) {
        let service = try await authenticateService(authorization)
        guard let presented = form["token"] else { throw OAuthError("invalid_request", "token is required") }
        if let hint = form["token_type_hint"], hint != "access_token", hint != "refresh_token" {
            throw OAuthError("unsupported_token_type", "token_type_hint must be access_token or refresh_token")
        }
        let hash = Self.sha256Hex(presented)
        guard let token = try? await store.oauthToken(hash: hash), token.kind != .code, let grant = try? await store.oauthGrant(id: token.grant),
            grant.service == service.id
        else { return }
        let time = now
        do {
            if token.kind == .refresh {
                try await store.revokeOAuthTokens(hash: hash, origin: token.origin, grant: nil, at: time)
            } else {
                try await store.revokeOAuthTokens(hash: hash, origin: nil, grant: nil, at: time)
            }
        } catch { throw OAuthError("server_error", "the token could not be revoked", status: 500) }
        try? await store.recordEvent(action: "oauth.revoke", subject: grant.client, detail: "service \(service.id), grant \(grant.id), \(token.kind.rawValue)", by: "oauth", at: time)
    }

    /// The service behind an `Authorization: Basic` header (client_secret_basic), or `invalid_client` (401).
    func authenticateService(_ header: String?) async throws(OAuthError) -> OAuthClient {
        let refused = OAuthError("invalid_client", "the service must authenticate with HTTP Basic (client_id and client_secret)", status: 401)
        guard let header, header.lowercased().hasPrefix("basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { throw refused }
        // RFC 6749 §2.3.1: both parts are form-encoded before they are joined.
        let id = String(pair[..<colon]).removingPercentEncoding ?? ""
        let secret = String(pair[pair.index(after: colon)...]).removingPercentEncoding ?? ""
        guard let service = try? await store.oauthClient(id: id), ConstantTime.equal(Self.sha256Hex(secret).utf8, service.secretHash.utf8) else { throw refused }
        return service
    }

    // MARK: Consents on the client's pages

    /// The client's consents in force, each with the service it is for (only the client).
    public func oauthConsents(as actor: Actor) async throws(CoreError) -> [(grant: OAuthGrant, service: OAuthClient?)] {
        guard actor.user.role == .client, let client = actor.user.client else { throw CoreError(.forbidden, key: "holder.clientOnly") }
        try await authorize(actor, .readClient(client))
        var consents: [(grant: OAuthGrant, service: OAuthClient?)] = []
        for grant in try await stored({ () async throws(StoreError) in try await store.oauthGrants(client: client) }) where grant.withdrawnAt == nil {
            consents.append((grant, try await stored({ () async throws(StoreError) in try await store.oauthClient(id: grant.service) })))
        }
        return consents
    }

    /// The client withdraws a consent: the service's tokens stop working at once. Audited.
    public func withdrawOAuthConsent(_ id: String, as actor: Actor) async throws(CoreError) {
        let consents = try await oauthConsents(as: actor)
        guard consents.contains(where: { $0.grant.id == id }) else { throw CoreError(.notFound, key: "oauth.grantNotFound") }
        try await stored { () async throws(StoreError) in try await store.withdrawOAuthGrant(id: id, by: actor.auditName, at: now) }
    }
}
