import Basics
import Credentials
import Crypto
import Foundation
import MerkistoCore
import Storage
import Testing

@Suite("Open Badges 3.0 API: registration, consent, PKCE, tokens, reading, withdrawal")
struct OB3APITests {
    static let redirect = "https://school.example/cb"

    static func registration(_ changes: [String: JSONValue] = [:], without: String? = nil) -> JSONValue {
        var fields: [String: JSONValue] = [
            "client_name": "Oppilaitos", "client_uri": "https://school.example/", "logo_uri": "https://school.example/logo.png",
            "tos_uri": "https://school.example/tos", "policy_uri": "https://school.example/privacy", "software_id": "s-1", "software_version": "1",
            "redirect_uris": [.string(redirect)], "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "scope": .string("\(OB3Scope.credentialRead) \(OB3Scope.profileRead) offline_access"),
        ]
        for (name, value) in changes { fields[name] = value }
        if let without { fields[without] = nil }
        return .object(fields)
    }

    static func basic(_ registered: [String: JSONValue]) -> String {
        guard case .string(let id)? = registered["client_id"], case .string(let secret)? = registered["client_secret"] else { return "" }
        return "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    static func challenge(_ verifier: String) -> String { Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8)))) }

    static func parameters(_ url: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    @Test("the whole flow: registered, allowed by the client, a code for a token with the right verifier only, reading, refresh, revocation, withdrawal; audited")
    func flow() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        _ = try service.keys.generate(.edDSA, kid: "ed25519-api", now: World.now)
        let jwt = try await AttestationTests.awarded(world)
        let ldp = try await service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3LDP, by: "test")

        guard case .object(let registered) = try await service.registerOAuthClient(Self.registration()) else { return }
        #expect(registered["scope"] == .string("\(OB3Scope.credentialRead) \(OB3Scope.profileRead) offline_access"))
        await #expect { try await service.registerOAuthClient(Self.registration(["redirect_uris": ["http://evil.example/cb"]])) } throws: {
            ($0 as? OAuthError)?.error == "invalid_redirect_uri"
        }
        await #expect { try await service.registerOAuthClient(Self.registration(without: "client_name")) } throws: {
            ($0 as? OAuthError)?.error == "invalid_client_metadata"
        }
        guard case .string(let clientID)? = registered["client_id"] else { return }
        let verifier = String(repeating: "v", count: 50)
        var query = [
            "response_type": "code", "client_id": clientID, "redirect_uri": Self.redirect, "scope": "\(OB3Scope.credentialRead) \(OB3Scope.profileRead)",
            "state": "s1", "code_challenge": Self.challenge(verifier), "code_challenge_method": "S256",
        ]
        let request = try await service.authorizationRequest(query)
        // Without PKCE, with plain PKCE, with a scope not registered: back to the service with the error.
        for (name, value, error) in [("code_challenge_method", "plain", "invalid_request"), ("scope", "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert", "invalid_scope")] {
            var changed = query
            changed[name] = value
            await #expect { try await service.authorizationRequest(changed) } throws: {
                ($0 as? AuthorizationRefusal)?.error == error && ($0 as? AuthorizationRefusal)?.redirect?.hasPrefix(Self.redirect) == true
            }
        }
        // An unknown redirect URI is never redirected to.
        query["redirect_uri"] = "https://evil.example/cb"
        await #expect { try await service.authorizationRequest(query) } throws: { ($0 as? AuthorizationRefusal)?.redirect == nil }
        // Only the client allows, for themselves.
        await #expect { try await service.allowAuthorization(request, as: world.instructor) } throws: { ($0 as? CoreError)?.key == "holder.clientOnly" }
        let back = Self.parameters(try await service.allowAuthorization(request, as: world.client))
        #expect(back["state"] == "s1")
        let code = try #require(back["code"])
        let form = ["grant_type": "authorization_code", "code": code, "redirect_uri": Self.redirect]
        await #expect { try await service.oauthToken(form.merging(["code_verifier": String(repeating: "w", count: 50)]) { $1 }, authorization: Self.basic(registered)) } throws: {
            ($0 as? OAuthError)?.error == "invalid_grant"
        }
        await #expect { try await service.oauthToken(form.merging(["code_verifier": verifier]) { $1 }, authorization: "Basic eDp5") } throws: {
            ($0 as? OAuthError)?.error == "invalid_client" && ($0 as? OAuthError)?.status == 401
        }
        guard case .object(let token) = try await service.oauthToken(form.merging(["code_verifier": verifier]) { $1 }, authorization: Self.basic(registered)),
            case .string(let access)? = token["access_token"], case .string(let refresh)? = token["refresh_token"]
        else { return }

        let page = try await service.ob3Credentials(bearer: "Bearer " + access, limit: nil, offset: nil, since: nil)
        #expect(page.total == 2)
        guard case .object(let body) = page.body else { return }
        #expect(body["compactJwsStrings"] == [.string(String(decoding: jwt.bytes, as: UTF8.self))])
        #expect(body["credential"] == [try StrictJSON.read(ldp.bytes)])
        let second = try await service.ob3Credentials(bearer: "Bearer " + access, limit: "1", offset: "1", since: nil)
        #expect(second.links.map(\.rel) == ["last", "first", "prev"] && second.links.first?.offset == 1)
        #expect(try await service.ob3Credentials(bearer: "Bearer " + access, limit: nil, offset: nil, since: "2099-01-01T00:00:00Z").total == 0)
        await #expect { try await service.ob3Credentials(bearer: "Bearer " + access, limit: "500", offset: nil, since: nil) } throws: { ($0 as? ImsxError)?.status == 400 }
        guard case .object(let profile) = try await service.ob3Profile(bearer: "Bearer " + access), case .string(let id)? = profile["id"] else { return }
        #expect(id.hasPrefix("urn:uuid:") && !id.contains("asiakas"))

        // Refresh: a new access token; the old refresh token is used up.
        guard case .object(let renewed) = try await service.oauthToken(["grant_type": "refresh_token", "refresh_token": refresh], authorization: Self.basic(registered)),
            case .string(let access2)? = renewed["access_token"]
        else { return }
        await #expect { try await service.oauthToken(["grant_type": "refresh_token", "refresh_token": refresh], authorization: Self.basic(registered)) } throws: {
            ($0 as? OAuthError)?.error == "invalid_grant"
        }
        try await service.revokeOAuthToken(["token": access2, "token_type_hint": "access_token"], authorization: Self.basic(registered))
        await #expect { try await service.ob3Profile(bearer: "Bearer " + access2) } throws: { ($0 as? ImsxError)?.status == 401 }
        // The client withdraws the consent: the first access token stops too.
        let consents = try await service.oauthConsents(as: world.client)
        #expect(consents.count == 1 && consents.first?.service?.name == "Oppilaitos")
        try await service.withdrawOAuthConsent(try #require(consents.first).grant.id, as: world.client)
        await #expect { try await service.ob3Profile(bearer: "Bearer " + access) } throws: { ($0 as? ImsxError)?.status == 401 }
        #expect(try await service.oauthConsents(as: world.client).isEmpty)
        let actions = try await service.store.auditLog().map(\.action).filter { $0.hasPrefix("oauth.") }
        #expect(actions == ["oauth.register", "oauth.grant", "oauth.token", "oauth.use", "oauth.use", "oauth.use", "oauth.use", "oauth.token", "oauth.revoke", "oauth.withdraw"])
    }

    @Test("registrations are bounded per address (no account is needed to register)")
    func registrationFlood() async throws {
        let (service, cleanup) = try World.service(keys: false)
        defer { cleanup() }
        for _ in 0..<20 { _ = try await service.registerOAuthClient(Self.registration(), address: "203.0.113.7") }
        await #expect { try await service.registerOAuthClient(Self.registration(), address: "203.0.113.7") } throws: {
            ($0 as? OAuthError)?.status == 429 && ($0 as? OAuthError)?.error == "temporarily_unavailable"
        }
        _ = try await service.registerOAuthClient(Self.registration(), address: "198.51.100.2")
    }

    @Test("a token without the credentials scope is refused with 403; no token, an unknown one: 401")
    func scopes() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        guard case .object(let registered) = try await service.registerOAuthClient(Self.registration()), case .string(let clientID)? = registered["client_id"] else { return }
        let verifier = String(repeating: "x", count: 60)
        let request = try await service.authorizationRequest([
            "response_type": "code", "client_id": clientID, "redirect_uri": Self.redirect, "scope": OB3Scope.profileRead, "state": "s",
            "code_challenge": Self.challenge(verifier), "code_challenge_method": "S256",
        ])
        let code = try #require(Self.parameters(try await service.allowAuthorization(request, as: world.client))["code"])
        guard case .object(let token) = try await service.oauthToken(
            ["grant_type": "authorization_code", "code": code, "redirect_uri": Self.redirect, "code_verifier": verifier], authorization: Self.basic(registered)),
            case .string(let access)? = token["access_token"]
        else { return }
        await #expect { try await service.ob3Credentials(bearer: "Bearer " + access, limit: nil, offset: nil, since: nil) } throws: { ($0 as? ImsxError)?.status == 403 }
        for bearer in [nil, "Bearer nothing", "Basic abc"] as [String?] {
            await #expect { try await service.ob3Profile(bearer: bearer) } throws: { ($0 as? ImsxError)?.status == 401 }
        }
        #expect(Self.parameters(service.refuseAuthorization(request))["error"] == "access_denied")
    }
}
