import Basics
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import NIOCore
import Rendering

/// Wallet delivery (VC-API / VCALM, issue side): the client's page with the interaction URL, and the two
/// public endpoints a wallet talks to. The exchange's secret in the URL is the capability; every rule is
/// the core's (``BadgeService/walletExchange(_:message:)``).
extension WebPages {
    /// The client opens an exchange for one of their badges: the interaction URL as a QR code, a link the
    /// phone opens in the wallet (`interaction:` scheme) and the address itself.
    func walletOffer(_ uuid: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let (credential, file) = try await ownCredential(uuid, actor, visitor)
        let offer = try await service.openWalletExchange(credential.id, as: actor)
        let values: [String: Any] = [
            "url": offer.interactionURL, "deepLink": "interaction:" + offer.interactionURL,
            "qr": QRCode.svg(offer.interactionURL, title: text("wallet.qrCaption", visitor)) ?? "",
            "replaces": service.holdsDataIntegrityCopy(of: credential.badge, in: file), "back": "/my/badges/\(uuid)",
        ]
        var response = renderer.page("wallet", title: text("wallet.title", visitor), values, visitor: visitor, request: request)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    /// `GET` of the interaction URL: `{"protocols": {"vcapi": …}}` for a wallet (`Accept: application/json`),
    /// a page telling a person to use a wallet app otherwise.
    func walletInteraction(_ secret: String, _ request: Request) async -> Response {
        let wantsJSON = request.headers[.accept]?.lowercased().contains("application/json") == true
        do {
            let protocols = try await service.walletProtocols(secret)
            guard wantsJSON else {
                let visitor = await Visitor.of(request, service: service)
                return renderer.page("wallet-app", title: text("wallet.title", visitor), [:], visitor: visitor, request: request)
            }
            return Self.json(protocols)
        } catch {
            if wantsJSON { return Problem(error, language: await Visitor.of(request, service: service).language).response }
            let visitor = await Visitor.of(request, service: service)
            return renderer.refusal(renderer.refusal(error, visitor: visitor), visitor: visitor, request: request)
        }
    }

    /// One message of the exchange (`{}`, or the holder's signed presentation, wrapped or bare), answered
    /// with JSON; a refusal is a problem document (4xx) and nothing is issued.
    func walletExchange(_ secret: String, _ request: Request) async -> Response {
        let language = await Visitor.of(request, service: service).language
        do {
            let bytes = try await Self.body(request, limit: 1 << 20)
            let message: JSONValue
            do { message = try StrictJSON.read(bytes) } catch { throw CoreError(.invalid, key: "exchange.message") }
            return Self.json(try await service.walletExchange(secret, message: message))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Problem(status: .contentTooLarge, title: HTTPResponse.Status.contentTooLarge.reasonPhrase, detail: nil).response
        } catch {
            return Problem(error, language: language).response
        }
    }

    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }
}
