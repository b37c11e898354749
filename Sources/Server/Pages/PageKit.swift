import Basics
import Credentials
import Definitions
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import Mustache
import NIOCore
import Storage

/// The pages' fixed texts in Finnish, Swedish and English (`Pages/pages.json`): for code by key, and for
/// templates as a tree split at the dots of the keys (`{{t.nav.clients}}`).
struct PageTexts: Sendable {
    let table: Localizer
    private let trees: [Language: TextTree]

    init() {
        table = Localizer(table: Bundle.module.url(forResource: "pages", withExtension: "json"))
        var trees: [Language: TextTree] = [:]
        for language in Language.allCases {
            var root = TextTree()
            for key in table.keys where table.has(key, in: language) {
                root.insert(table.text(key, language), at: key.split(separator: ".").map(String.init))
            }
            trees[language] = root
        }
        self.trees = trees
    }

    func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        table.text(key, language, arguments)
    }

    func tree(_ language: Language) -> TextTree { trees[language] ?? TextTree() }
}

/// Texts by the parts of their keys, as Mustache looks them up.
struct TextTree: MustacheParent, Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case tree(TextTree)
    }

    var nodes: [String: Node] = [:]

    mutating func insert(_ text: String, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            nodes[first] = .text(text)
            return
        }
        var child: TextTree
        if case .tree(let existing)? = nodes[first] { child = existing } else { child = TextTree() }
        child.insert(text, at: Array(path.dropFirst()))
        nodes[first] = .tree(child)
    }

    func child(named name: String) -> Any? {
        switch nodes[name] {
        case .text(let text): return text
        case .tree(let tree): return tree
        case nil: return nil
        }
    }
}

/// Who is looking at a page, in which language, and the session they came with.
struct Visitor: Sendable {
    var language: Language
    /// The language was chosen on this request (`?lang=`): remember it.
    var chosenLanguage: Bool
    var actor: Actor?
    var session: StoredSession?
    /// The session token from the cookie (to sign out).
    var sessionToken: String?

    static let languageCookie = "merkisto_lang"

    /// Reads the visitor from the request: the language from `?lang=`, then the remembered choice, then
    /// `Accept-Language` (Finnish when none fits); the actor from the session cookie, if it is valid.
    static func of(_ request: Request, service: BadgeService) async -> Visitor {
        let cookies = request.cookies
        var language = AcceptLanguage.preferred(request.headers[.acceptLanguage], fallback: .fi)
        if let remembered = cookies[languageCookie].flatMap({ Language(rawValue: $0.value) }) { language = remembered }
        var chosen = false
        if let asked = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            language = asked
            chosen = true
        }
        var visitor = Visitor(language: language, chosenLanguage: chosen)
        if let token = cookies[SessionCookie.name]?.value, let (actor, session) = try? await service.actor(session: token) {
            visitor.actor = actor
            visitor.session = session
            visitor.sessionToken = token
        }
        return visitor
    }

    var isStaff: Bool { actor.map { $0.user.role != .client } ?? false }
}

/// A submitted form (`application/x-www-form-urlencoded`, or `multipart/form-data` with a file).
struct SubmittedForm: Sendable {
    var fields: [String: String] = [:]
    /// Files of a multipart form by field name (the first of each name).
    var files: [String: [UInt8]] = [:]
    /// Every file of a multipart form, in order, with the name it was uploaded under.
    var uploads: [(field: String, name: String, bytes: [UInt8])] = []

    subscript(_ name: String) -> String? { fields[name] }

    /// The trimmed value, or nil when it is missing or blank.
    func value(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

/// Why a page cannot be shown: a status and the words for it.
struct PageRefusal: Error {
    var status: HTTPResponse.Status
    var message: String
}

/// Renders pages from the Mustache templates in `Pages/Templates` (each page fills the `content` block of
/// `layout`), with the texts of ``PageTexts``, and answers with the headers every page carries.
struct PageRenderer: Sendable {
    /// The templates once per language, with that language's fixed texts written in (``withTexts``).
    let libraries: [Language: MustacheLibrary]
    let texts: PageTexts
    let stylesheet: HostedEntry

    init() throws {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw CoreError(.failure, "the page templates are missing from the server's resources")
        }
        // Before any template is read: they name this escaping in their first line.
        MustacheContentTypes.register(PageHTMLContentType(), named: PageHTMLContentType.name)
        texts = PageTexts()
        var libraries: [Language: MustacheLibrary] = [:]
        for language in Language.allCases { libraries[language] = MustacheLibrary() }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: folder.path + "/" + name, encoding: .utf8)
            for language in Language.allCases {
                try libraries[language]!.register(Self.withTexts(text, language, texts), named: String(name.dropLast(".mustache".count)))
            }
        }
        self.libraries = libraries
        guard let css = Bundle.module.url(forResource: "Assets/merkisto", withExtension: "css"), let bytes = FileManager.default.contents(atPath: css.path)
        else { throw CoreError(.failure, "the page style sheet is missing from the server's resources") }
        stylesheet = HostedEntry(bytes: bytes, path: "merkisto.css", cacheControl: "public, max-age=3600")
    }

    /// A template with every `{{t.KEY}}` tag whose text the language has replaced by that text, escaped as
    /// the tag would escape it: the page's fixed texts are the same on every page, and each tag left in costs
    /// Mustache a walk down its context stack at every rendering. A tag is left as it is when the language
    /// lacks the key (it renders empty, as before) or when the text holds a Mustache delimiter.
    static func withTexts(_ template: String, _ language: Language, _ texts: PageTexts) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{t.") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            result += rest[..<open.lowerBound]
            let key = String(rest[open.upperBound..<close.lowerBound])
            let tag = rest[open.lowerBound..<close.upperBound]
            rest = rest[close.upperBound...]
            let text = texts.table.has(key, in: language) ? texts.text(key, language) : nil
            if let text, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }), !text.contains("{{"), !text.contains("}}") {
                result += HTMLText.escaped(text)
            } else {
                result += tag
            }
        }
        return result + rest
    }

    /// The names of the templates (for tests).
    static func templateNames() -> [String] {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [] }
        return names.filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }.sorted()
    }

    /// The text of every template, by name (for tests).
    static func templateSources() -> [String: String] {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else { return [:] }
        var sources: [String: String] = [:]
        for name in templateNames() { sources[name] = try? String(contentsOfFile: folder.path + "/" + name + ".mustache", encoding: .utf8) }
        return sources
    }

    func text(_ key: String, _ visitor: Visitor, _ arguments: [String: String] = [:]) -> String {
        texts.text(key, visitor.language, arguments)
    }

    /// A page: the template filled with `values` and the layout's own (title, language switch, menu,
    /// CSRF token, notice).
    func page(
        _ template: String, title: String, _ values: [String: Any] = [:], visitor: Visitor, request: Request,
        status: HTTPResponse.Status = .ok, notice: String? = nil
    ) -> Response {
        var context = values
        context["t"] = texts.tree(visitor.language)
        context["lang"] = visitor.language.rawValue
        context["title"] = title
        context["csrf"] = visitor.session?.csrf ?? ""
        context["notice"] = notice ?? request.uri.queryParameters["notice"].flatMap { key in
            // Only known notices, so that a link cannot make the page say anything else.
            let name = "notice." + String(key)
            return texts.table.has(name, in: visitor.language) ? texts.text(name, visitor.language) : nil
        }
        // The language switch and the menu are written here (docs/decisions/0002), under names of the layout's
        // own that no page's values use.
        let path = request.uri.path
        var languages = HTMLText(capacity: 512)
        for language in Language.allCases {
            languages.raw("<li><a href=\"")
            languages.text(path + "?lang=" + language.rawValue)
            languages.raw("\" lang=\"")
            languages.text(language.rawValue)
            languages.raw("\" hreflang=\"")
            languages.text(language.rawValue)
            languages.raw(language == visitor.language ? "\" aria-current=\"true\">" : "\">")
            languages.text(texts.text("language.\(language.rawValue)", language))
            languages.raw("</a></li>")
        }
        context["layoutLanguages"] = languages.html
        if let actor = visitor.actor {
            context["layoutSignedIn"] = true
            context["layoutUser"] = actor.user.id
            context["layoutRole"] = texts.text("role.\(actor.user.role.rawValue)", visitor.language)
            // The current item: the one whose address is the longest start of this page's (one at most).
            let items = menu(for: actor.user.role, visitor: visitor)
            let current = items.filter { path == $0.href || path.hasPrefix($0.href + "/") }.max { $0.href.count < $1.href.count }?.href
            var menu = HTMLText(capacity: 1024)
            for item in items {
                menu.raw("<li><a href=\"")
                menu.text(item.href)
                menu.raw(item.href == current ? "\" aria-current=\"page\">" : "\">")
                menu.text(item.label)
                menu.raw("</a></li>")
            }
            context["layoutMenu"] = menu.html
        }
        let body = libraries[visitor.language]?.render(context, withTemplate: template) ?? ""
        return Self.html(body, status: status, visitor: visitor)
    }

    private func menu(for role: User.Role, visitor: Visitor) -> [(href: String, label: String)] {
        switch role {
        case .client:
            [("/my", text("nav.myBadges", visitor)), ("/my/progress", text("nav.myProgress", visitor))]
        case .instructor:
            [("/clients", text("nav.clients", visitor)), ("/verify", text("nav.verify", visitor))]
        case .admin:
            [
                ("/clients", text("nav.clients", visitor)), ("/admin/definitions", text("nav.definitions", visitor)),
                ("/admin/keys", text("nav.keys", visitor)), ("/admin/users", text("nav.users", visitor)), ("/admin/import", text("nav.import", visitor)),
                ("/admin/tokens", text("nav.tokens", visitor)),
                ("/admin/audit", text("nav.audit", visitor)), ("/verify", text("nav.verify", visitor)),
            ]
        }
    }

    /// The refusal as a page (a sign-in form's errors are shown on the form instead).
    func refusal(_ refusal: PageRefusal, visitor: Visitor, request: Request) -> Response {
        page("error", title: refusal.message, ["message": refusal.message], visitor: visitor, request: request, status: refusal.status)
    }

    /// What a use case's refusal says to the visitor, with the status the API would answer.
    func refusal(_ error: any Error, visitor: Visitor) -> PageRefusal {
        if let refusal = error as? PageRefusal { return refusal }
        let problem = Problem(error, language: visitor.language)
        return PageRefusal(status: problem.status, message: problem.detail ?? problem.title)
    }

    /// Headers every page carries: no caching of personal pages, a strict content security policy (no
    /// script or style from elsewhere, no framing), no referrer (a sign-in link carries its code), and the
    /// language cookie when it was chosen on this request.
    static func html(_ body: String, status: HTTPResponse.Status = .ok, visitor: Visitor, policy: String = pagePolicy) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: policy,
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Frame-Options")!: "DENY",
        ]
        if visitor.chosenLanguage {
            headers[.setCookie] =
                Cookie(name: Visitor.languageCookie, value: visitor.language.rawValue, maxAge: 365 * 86_400, path: "/", sameSite: .lax).description
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The content security policy of the pages: everything from this server only, no script at all.
    static let pagePolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    /// The self-contained progress report: its own inline style and SVG, nothing else.
    static let reportPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"

    /// After a change: see the result at `location` (303, so that reloading does not post again).
    static func redirect(_ location: String, setCookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let setCookie { headers[.setCookie] = setCookie }
        return Response(status: .seeOther, headers: headers)
    }
}

extension SubmittedForm {
    /// Reads a form body of at most `limit` bytes.
    static func read(_ request: Request, limit: Int = 1 << 20) async throws -> SubmittedForm {
        // Too large by its own word: refused before a byte of it is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw PageRefusal(status: .contentTooLarge, message: "")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw PageRefusal(status: .contentTooLarge, message: "")
        }
        // The boundary is case-sensitive: only the media type is compared without case.
        let type = request.headers[.contentType] ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") { return try multipart(buffer, contentType: type) }
        do {
            // Hummingbird's reader of URL-encoded forms (fields with [] in their names are not used).
            return SubmittedForm(fields: try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: buffer)))
        } catch {
            throw PageRefusal(status: .badRequest, message: "")
        }
    }
}

extension Request {
    var cookies: Cookies { Cookies(from: headers[values: .cookie]) }
}
