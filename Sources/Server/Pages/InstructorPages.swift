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

/// The instructor's pages (admins see them too): the client list, the client page, recording, awarding,
/// revoking, the sign-in code and the printable report.
extension WebPages {
    func words(_ visitor: Visitor) -> ProgressReportWords { ProgressReportWords(compiled: service.compiled, language: visitor.language) }

    /// Refuses clients (their pages are elsewhere).
    func requireStaff(_ actor: Actor, _ visitor: Visitor) throws {
        guard actor.user.role != .client else { throw PageRefusal(status: .forbidden, message: text("error.staffOnly", visitor)) }
    }

    // MARK: Client list

    func clientList(_ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        let words = words(visitor)
        let parameters = request.uri.queryParameters
        func parameter(_ name: Substring) -> String? { parameters[name].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let order = parameter("order").flatMap(ClientQuery.Order.init(rawValue:)) ?? .id
        let listRequest = ClientListRequest(
            unit: parameter("unit"), search: parameter("q") ?? "", phase: parameter("phase"), overdue: parameter("overdue") != nil, order: order,
            after: parameter("after"))
        let page = try await service.clientList(listRequest, as: actor)
        let rows: [[String: Any]] = page.clients.map { summary in
            var row: [String: Any] = [
                "id": summary.client.id, "href": "/clients/" + summary.client.id, "unit": summary.client.unit ?? "–",
                "phase": summary.phase.map(words.phaseTitle) ?? text("clients.noPeriod", visitor),
                "decisionEnd": summary.decisionEnd.map(words.date) ?? "–", "overdue": summary.overdue,
                "assessments": summary.assessments, "credentials": summary.credentials,
            ]
            if summary.client.erasedAt != nil { row["erased"] = true }
            return row
        }
        // The units to choose from: every unit for admins, an instructor's own.
        let units = actor.user.role == .admin ? try await service.units().map(\.id) : actor.user.units
        // A choice among a few units; with many (a large county) the unit's id is typed, so that the page does
        // not grow with the number of units.
        let unitField = units.count > Self.unitChoices
        let unitOptions: [[String: Any]] = unitField ? [] : units.sorted().map { ["id": $0, "selected": $0 == listRequest.unit] }
        let phaseOptions: [[String: Any]] = (words.pathway?.phases ?? []).map {
            ["id": $0.id, "title": words.phaseTitle($0.id), "selected": $0.id == listRequest.phase]
        }
        // The pages before and after keep the filters and the order.
        func link(after: String?) -> String {
            var components = URLComponents()
            components.path = "/clients"
            components.queryItems = [
                ("q", listRequest.search.isEmpty ? nil : listRequest.search), ("unit", listRequest.unit), ("phase", listRequest.phase),
                ("overdue", listRequest.overdue ? "1" : nil), ("order", order == .id ? nil : order.rawValue), ("after", after),
            ].compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            if components.queryItems?.isEmpty == true { components.queryItems = nil }
            return components.string ?? "/clients"
        }
        let total = Self.grouped(page.total, visitor.language)
        return renderer.page(
            "clients", title: text("clients.title", visitor),
            [
                "rows": rows, "hasRows": !rows.isEmpty, "query": listRequest.search, "units": unitOptions, "phases": phaseOptions,
                "unitField": unitField, "unitValue": listRequest.unit ?? "",
                "overdue": listRequest.overdue, "byDecisionEnd": order == .decisionEnd,
                "count": page.exact
                    ? text("clients.countExact", visitor, ["shown": String(rows.count), "all": total])
                    : text("clients.countAbout", visitor, ["shown": String(rows.count), "all": total]),
                "next": page.next.map { link(after: $0) } ?? false, "first": listRequest.after == nil ? false : link(after: nil),
                "canBulk": actor.scopes?.contains(.award) ?? true, "bulkUnits": unitOptions,
            ], visitor: visitor, request: request)
    }

    /// Up to this many units are offered as a choice; more are typed.
    static let unitChoices = 50

    /// A count with its thousands apart, as each language writes them (a no-break space in Finnish and Swedish).
    static func grouped(_ number: Int, _ language: Language) -> String {
        let digits = Array(String(number))
        let separator = language == .en ? "," : "\u{00A0}"
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text += separator }
            text.append(digit)
        }
        return text
    }

    // MARK: Client page

    func clientPage(_ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        let (file, result) = try await service.clientOverview(id, as: actor)
        let words = words(visitor)
        let writer = words.writer
        var values: [String: Any] = ["client": id, "unit": file.client.unit ?? "–", "base": "/clients/" + id]
        // The pathway.
        if let period = file.openPeriod ?? file.periods.last {
            var timeline: [[String: Any]] = period.phases.map { ["date": words.date($0.at), "phase": words.phaseTitle($0.phase)] }
            if let closed = period.closedAt {
                timeline.append(["date": words.date(closed), "phase": text("client.closed", visitor, ["outcome": period.outcome.map(words.outcomeTitle) ?? "–"])])
            }
            values["timeline"] = timeline
            values["hasTimeline"] = !timeline.isEmpty
            if let end = period.decisionEnd {
                values["decision"] = text("client.decision", visitor, ["start": period.decisionStart.map(words.date) ?? "–", "end": words.date(end)])
            }
            if period.closedAt == nil, period.isOverdue(at: service.now) { values["overdue"] = true }
        }
        // Assessments, newest first: the rows written here (docs/decisions/0002).
        var assessmentRows = HTMLText(capacity: 256 * file.assessments.count)
        for assessment in file.assessments.reversed() {
            let checkpoint = assessment.checkpoint.map { id in words.pathway?.checkpoints.first { $0.id == id }?.title.text(in: visitor.language) ?? id } ?? "–"
            let what =
                assessment.instrument.flatMap { id in service.compiled.definitions.instruments.first { $0.id == id }?.title.text(in: visitor.language) }
                ?? text("client.directLevels", visitor, ["count": String(assessment.levels.count)])
            assessmentRows.raw("<tr><td>")
            assessmentRows.text(words.date(assessment.assessedAt))
            assessmentRows.raw("</td><td>")
            assessmentRows.text(what)
            assessmentRows.raw("</td><td>")
            assessmentRows.text(writer.evidence(assessment.evidence))
            assessmentRows.raw("</td><td>")
            assessmentRows.text(checkpoint)
            assessmentRows.raw("</td><td>")
            assessmentRows.text(assessment.assessor)
            assessmentRows.raw("</td></tr>")
        }
        values["assessmentRows"] = assessmentRows.html
        values["hasAssessments"] = !file.assessments.isEmpty
        // The confirmations the badges ask staff for: who gave them and when, or a button to give one.
        if file.client.erasedAt == nil {
            let standings = service.attestations(of: file)
            values["attestationRows"] = attestationRows(standings, client: id, writer: writer, words: words, visitor: visitor, actor: actor)
            values["hasAttestations"] = !standings.isEmpty
        }
        // The evaluation: what can be awarded, what is held, the reason trees, the gaps and the next steps.
        if let result {
            values["evaluation"] = evaluation(result, writer: writer, visitor: visitor, base: "/clients/" + id)
            // The current levels with each kind of evidence apart: a column per kind, in the order the header names them.
            let levels = try service.levelsByEvidence(of: file)
            var levelRows = HTMLText(capacity: 128 * levels.count)
            for row in levels {
                levelRows.raw("<tr><th scope=\"row\">")
                levelRows.text(writer.competenceName(row.code))
                levelRows.raw("</th>")
                for evidence in Evidence.allCases {
                    levelRows.raw("<td>")
                    levelRows.text(row.level(evidence).map { String($0.level) } ?? "–")
                    levelRows.raw("</td>")
                }
                levelRows.raw("</tr>")
            }
            values["levelRows"] = levelRows.html
            values["hasLevels"] = !levels.isEmpty
            values["evidenceKinds"] = Evidence.allCases.map { writer.evidence($0) }
        } else {
            values["erased"] = true
        }
        // Credentials issued, newest first: the rows written here (docs/decisions/0002).
        let validWord = text("client.valid", visitor)
        let revokeWord = text("client.revoke", visitor)
        let suspendWord = text("client.suspend", visitor)
        let liftWord = text("client.lift", visitor)
        let decisionWord = text("client.decision", visitor)
        var rows = HTMLText(capacity: 1024 * file.credentials.count)
        for credential in file.credentials.reversed() {
            let escaped = credential.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let badge = writer.badgeName(credential.badge)
            let date = words.date(credential.issuedAt)
            // What a screen reader hears after each link's words: which award the link is about.
            func about(_ html: inout HTMLText) {
                html.raw("<span class=\"visually-hidden\">: ")
                html.text(badge)
                html.raw(" ")
                html.text(date)
                html.raw("</span>")
            }
            rows.raw("\n    <tr><th scope=\"row\">")
            rows.text(badge)
            rows.raw(" <a href=\"")
            rows.text("/clients/\(id)/decision?credential=" + escaped)
            rows.raw("\" class=\"small\">")
            rows.text(decisionWord)
            about(&rows)
            rows.raw("</a></th><td>")
            rows.text(date)
            rows.raw("</td><td>")
            rows.text(credential.format.rawValue)
            rows.raw("</td><td>")
            rows.text(text("language.\(credential.language.rawValue)", visitor))
            rows.raw("</td>\n      <td>")
            if let revocation = file.revocations.first(where: { $0.credentialID == credential.id }) {
                rows.text(text("client.revoked", visitor, ["date": words.date(revocation.revokedAt), "reason": revocation.reason]))
            } else {
                let suspension = file.suspensions.first { $0.credentialID == credential.id }
                if let suspension {
                    rows.text(text("client.suspended", visitor, ["date": words.date(suspension.suspendedAt), "reason": suspension.reason]))
                    rows.raw("\n        <form method=\"post\" action=\"")
                    rows.text("/clients/\(id)/lift")
                    rows.raw("\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"")
                    rows.text(visitor.session?.csrf ?? "")
                    rows.raw("\"><input type=\"hidden\" name=\"credential\" value=\"")
                    rows.text(credential.id)
                    rows.raw("\"><button type=\"submit\">")
                    rows.text(liftWord)
                    about(&rows)
                    rows.raw("</button></form>")
                } else {
                    rows.text(validWord)
                }
                rows.raw("\n        <a href=\"")
                rows.text("/clients/\(id)/revoke?credential=" + escaped)
                rows.raw("\">")
                rows.text(revokeWord)
                about(&rows)
                rows.raw("</a>")
                // Only OB 3.0 credentials have a place in the status lists, so only they can be suspended.
                if suspension == nil, credential.status != nil {
                    rows.raw(" <a href=\"")
                    rows.text("/clients/\(id)/suspend?credential=" + escaped)
                    rows.raw("\">")
                    rows.text(suspendWord)
                    about(&rows)
                    rows.raw("</a>")
                }
            }
            rows.raw("</td></tr>")
        }
        values["credentialRows"] = rows.html
        values["hasCredentials"] = !file.credentials.isEmpty
        if actor.user.role == .admin, file.client.erasedAt == nil { values["eraseHref"] = "/clients/\(id)/erase" }
        return renderer.page("client", title: text("client.title", visitor, ["client": id]), values, visitor: visitor, request: request)
    }

    /// An award's decision made again: the client's record as it stood when the credential was issued, under
    /// the definitions version it was issued under.
    func decisionPage(_ client: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let id = request.uri.queryParameters["credential"].map(String.init) else {
            throw PageRefusal(status: .badRequest, message: text("error.form", visitor))
        }
        let replay = try await live.replayAward(id, as: actor)
        guard replay.credential.client == client else { throw CoreError(.notFound, key: "credential.notFound", ["credential": id]) }
        let writer = ProgressReportWords(compiled: replay.compiled, language: visitor.language).writer
        var tree = HTMLText()
        if let badge = replay.result.badges.first(where: { $0.id == replay.credential.badge }) {
            reasonTree(badge.criteria, badge: badge.id, writer: writer, states: (text("tree.met", visitor), text("tree.unmet", visitor)), into: &tree)
        }
        let values: [String: Any] = [
            "badge": writer.badgeName(replay.credential.badge), "date": words(visitor).date(replay.credential.issuedAt) + " " + AdminPages.time(replay.credential.issuedAt),
            "version": String(replay.credential.definitionsDigest.prefix(12)), "inUse": replay.credential.definitionsDigest == service.compiled.digest,
            "earned": replay.earned, "tree": tree.html, "back": "/clients/\(client)", "credential": replay.credential.id,
        ]
        return renderer.page("decision", title: text("decision.title", visitor, ["badge": writer.badgeName(replay.credential.badge)]), values, visitor: visitor, request: request)
    }

    /// The evaluation as the page shows it.
    func evaluation(_ result: EvaluationResult, writer: ReasonWriter, visitor: Visitor, base: String) -> [String: Any] {
        let states = (met: text("tree.met", visitor), unmet: text("tree.unmet", visitor))
        let earnedWord = text("client.earned", visitor)
        let notYetWord = text("client.notYet", visitor)
        // Each badge as a <details> with its reason tree, written here in one buffer like the trees themselves
        // (docs/decisions/0002): a Mustache row costs about a microsecond per value looked up.
        var details = HTMLText(capacity: 32768)
        let awardWord = text("client.award", visitor)
        var awardable = HTMLText(capacity: 2048)
        var awardableCount = 0
        for badge in result.badges {
            let name = writer.badgeName(badge.id)
            let status =
                badge.held.map { text("client.held", visitor, ["date": writer.date($0.issuedAt)]) }
                ?? (badge.earned ? earnedWord : notYetWord)
            details.raw("<details>\n    <summary><span class=\"mark\" aria-hidden=\"true\">")
            details.raw(badge.earned ? "✓" : "✗")
            details.raw("</span> ")
            details.text(name)
            details.raw(" – ")
            details.text(status)
            details.raw("</summary>\n    <ul class=\"tree\">")
            reasonTree(badge.criteria, badge: badge.id, writer: writer, states: states, into: &details)
            details.raw("</ul>\n  </details>\n")
            if badge.held == nil, badge.earned {
                awardable.raw("<li><span class=\"badge-name\">")
                awardable.text(name)
                awardable.raw("</span> <a class=\"button\" href=\"")
                awardable.text(base + "/award?badge=" + badge.id)
                awardable.raw("\">")
                awardable.text(awardWord)
                awardable.raw("<span class=\"visually-hidden\">: ")
                awardable.text(name)
                awardable.raw("</span></a></li>")
                awardableCount += 1
            }
        }
        let baselines = result.baselines.map { baseline -> [String: Any] in
            var gaps = HTMLText(capacity: 160 * baseline.gaps.count)
            for gap in baseline.gaps {
                gaps.raw("<tr><th scope=\"row\">")
                gaps.text(writer.competenceName(gap.competence))
                gaps.raw("</th><td>")
                gaps.text(String(gap.current))
                gaps.raw("</td><td>")
                gaps.text(String(gap.required))
                gaps.raw("</td><td>")
                gaps.text(writer.evidence(gap.requiredEvidence))
                gaps.raw("</td></tr>")
            }
            return ["name": writer.baselineName(baseline.id, framework: baseline.framework), "met": baseline.met, "gapRows": gaps.html, "hasGaps": !baseline.gaps.isEmpty]
        }
        let next = result.next.prefix(5)
        var steps = HTMLText(capacity: 512 * next.count)
        for step in next {
            steps.raw("<li><strong>")
            steps.text(writer.badgeName(step.badge))
            steps.raw("</strong> (")
            steps.text(text("client.missing", visitor, ["count": String(step.missing)]))
            steps.raw(")<ul>")
            for requirement in step.requirements {
                steps.raw("<li>")
                steps.text(writer.sentence(requirement, badge: step.badge))
                steps.raw(" — ")
                steps.text(writer.reason(requirement))
                steps.raw("</li>")
            }
            steps.raw("</ul></li>")
        }
        return [
            "awardableItems": awardable.html, "hasAwardable": awardableCount > 0, "badgeDetails": details.html, "baselines": baselines, "nextSteps": steps.html,
            "hasNext": !next.isEmpty, "digest": String(result.definitionsDigest.prefix(12)), "date": writer.date(result.evaluatedAt),
        ]
    }

    /// A reason tree as nested list items, written here rather than by a recursive template: a client
    /// page has hundreds of nodes, and this keeps the page well inside its time (see docs/decisions/0002).
    func reasonTree(_ node: NodeResult, badge: String, writer: ReasonWriter, states: (met: String, unmet: String), into html: inout HTMLText) {
        html.raw(node.met ? "<li class=\"met\"><span class=\"mark\" aria-hidden=\"true\">✓</span> <span class=\"visually-hidden\">" : "<li class=\"unmet\"><span class=\"mark\" aria-hidden=\"true\">✗</span> <span class=\"visually-hidden\">")
        html.text(node.met ? states.met : states.unmet)
        html.raw(":</span> ")
        html.text(writer.sentence(node, badge: badge))
        html.raw(" <span class=\"reason\">— ")
        html.text(writer.reason(node))
        html.raw("</span>")
        if !node.children.isEmpty {
            html.raw("<ul>")
            for child in node.children { reasonTree(child, badge: badge, writer: writer, states: states, into: &html) }
            html.raw("</ul>")
        }
        html.raw("</li>")
    }

    // MARK: Recording an assessment

    /// The form: a level (0–8) for each competence of the framework, the evidence, the checkpoint and date.
    func assessmentForm(
        _ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor, form: SubmittedForm? = nil, errors: [String: String] = [:],
        problems: [String] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        try requireStaff(actor, visitor)
        let file = try await service.clientFile(id, as: actor)
        let compiled = service.compiled
        let instrumentID = form?.value("instrument") ?? request.uri.queryParameters["instrument"].map(String.init)
        if let instrumentID {
            guard let instrument = compiled.definitions.instruments.first(where: { $0.id == instrumentID }) else {
                throw PageRefusal(status: .notFound, message: text("error.noInstrument", visitor))
            }
            return questionnaire(instrument, file: file, request, visitor, form: form, problems: problems, status: status)
        }
        guard let framework = compiled.definitions.frameworks.first else { throw PageRefusal(status: .conflict, message: text("error.noFramework", visitor)) }
        // Every field starts empty, and the evidence unchosen: only what the instructor sets is recorded. The
        // client's current levels, each kind of evidence apart, are shown beside the fields as hints.
        let writer = words(visitor).writer
        var current: [String: String] = [:]
        if file.client.erasedAt == nil {
            for row in try service.levelsByEvidence(of: file) {
                let parts = Evidence.allCases.compactMap { kind in
                    row.level(kind).map { text("assessment.currentLevel", visitor, ["evidence": writer.evidence(kind), "level": String($0.level)]) }
                }
                current[row.code] = text("assessment.current", visitor, ["levels": parts.joined(separator: " · ")])
            }
        }
        let levels = framework.levels.filter { $0.value > 0 }.map { ($0.value, $0.label.text(in: visitor.language)) }
        let areas = framework.areas.map { area -> [String: Any] in
            [
                "title": "\(area.code) \(area.title.text(in: visitor.language))",
                "competences": area.competences.map { competence -> [String: Any] in
                    let chosen = form?["level-\(competence.code)"].flatMap { Int($0) }
                    let options = [["value": "", "label": text("assessment.notSet", visitor), "selected": chosen == nil] as [String: Any]]
                        + levels.map { value, label in ["value": String(value), "label": "\(value) – \(label)", "selected": value == chosen] as [String: Any] }
                    return [
                        "code": competence.code, "field": "level-\(competence.code)", "title": "\(competence.code) \(competence.title.text(in: visitor.language))",
                        "options": options, "current": current[competence.code] ?? text("assessment.currentNone", visitor),
                    ]
                },
            ]
        }
        let checkpoints = checkpointChoices(file, visitor, form)
        let evidence = [Evidence.observed, .test, .self].map { kind -> [String: Any] in
            ["value": kind.rawValue, "label": writer.evidence(kind), "selected": form?["evidence"] == kind.rawValue]
        }
        let (year, month, day) = service.now.localDate
        let today = String(format: "%04d-%02d-%02d", year, month, day)
        var values: [String: Any] = [
            "client": id, "areas": areas, "checkpoints": checkpoints, "evidence": evidence, "date": form?["date"] ?? today, "note": form?["note"] ?? "",
            "action": "/clients/\(id)/assessment", "back": "/clients/\(id)",
            "instruments": compiled.definitions.instruments.map { instrument -> [String: String] in
                ["href": "/clients/\(id)/assessment?instrument=" + instrument.id, "title": instrument.title.text(in: visitor.language)]
            },
        ]
        if let message = errors["date"] { values["dateError"] = message }
        if !problems.isEmpty || !errors.isEmpty {
            values["problems"] = problems + errors.values.sorted()
            values["hasProblems"] = true
        }
        return renderer.page("assessment", title: text("assessment.title", visitor, ["client": id]), values, visitor: visitor, request: request, status: status)
    }

    /// The instrument's questionnaire as a form: each item a group of choices on its scale.
    func questionnaire(
        _ instrument: Instrument, file: ClientFile, _ request: Request, _ visitor: Visitor, form: SubmittedForm?, problems: [String],
        status: HTTPResponse.Status
    ) -> Response {
        let id = file.client.id
        let language = visitor.language
        let writer = words(visitor).writer
        var groups: [[String: Any]] = []
        for competence in instrument.competences {
            let items = instrument.items.filter { $0.competence == competence }.map { item -> [String: Any] in
                let options = instrument.scale(item.scale)?.options ?? []
                return [
                    "name": "item-" + item.id, "text": item.text.text(in: language),
                    "options": options.map { option -> [String: Any] in
                        [
                            "id": "item-\(item.id)-\(option.value)", "value": option.value, "label": option.label.text(in: language),
                            "checked": form?["item-" + item.id] == String(option.value),
                        ]
                    },
                ]
            }
            groups.append(["title": writer.competenceName(competence), "items": items])
        }
        let (year, month, day) = service.now.localDate
        var values: [String: Any] = [
            "client": id, "instrument": instrument.id, "instrumentTitle": instrument.title.text(in: language),
            "description": instrument.description?.text(in: language) ?? "", "groups": groups, "checkpoints": checkpointChoices(file, visitor, form),
            "date": form?["date"] ?? String(format: "%04d-%02d-%02d", year, month, day), "action": "/clients/\(id)/assessment", "back": "/clients/\(id)",
        ]
        if !problems.isEmpty {
            values["problems"] = problems
            values["hasProblems"] = true
        }
        return renderer.page(
            "questionnaire", title: text("questionnaire.title", visitor, ["client": id, "instrument": instrument.title.text(in: language)]), values,
            visitor: visitor, request: request, status: status)
    }

    /// The pathway's checkpoints, the one of the client's current phase chosen (or the one posted).
    func checkpointChoices(_ file: ClientFile, _ visitor: Visitor, _ form: SubmittedForm?) -> [[String: Any]] {
        let phase = file.openPeriod?.currentPhase
        return (words(visitor).pathway?.checkpoints ?? []).map { checkpoint -> [String: Any] in
            [
                "id": checkpoint.id, "title": checkpoint.title.text(in: visitor.language),
                "selected": form.map { $0["checkpoint"] == checkpoint.id } ?? (checkpoint.phase == phase),
            ]
        }
    }

    func recordAssessment(_ id: String, _ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let framework = service.compiled.definitions.frameworks.first else {
            throw PageRefusal(status: .conflict, message: text("error.noFramework", visitor))
        }
        // The date (today by default) at noon, in the server's offset, or now when it is today.
        let now = service.now
        guard let date = form.value("date"), case .success(let day) = Timestamp.parse(date + "T12:00:00Z") else {
            return try await assessmentForm(
                id, request, visitor, actor, form: form, errors: ["date": text("assessment.dateError", visitor)], status: .badRequest)
        }
        let (year, month, dayOfMonth) = now.localDate
        let isToday = String(format: "%04d-%02d-%02d", year, month, dayOfMonth) == date
        let assessedAt = isToday ? now : Timestamp(microseconds: day.microseconds - Int64(now.offsetSeconds) * 1_000_000, offsetSeconds: now.offsetSeconds)
        var input = AssessmentInput(assessedAt: assessedAt)
        if let instrumentID = form.value("instrument") {
            // A questionnaire: the answers (the core takes the evidence from the instrument).
            guard let instrument = service.compiled.definitions.instruments.first(where: { $0.id == instrumentID }) else {
                throw PageRefusal(status: .notFound, message: text("error.noInstrument", visitor))
            }
            input.instrument = instrument.id
            input.responses = instrument.items.compactMap { item in
                form["item-" + item.id].flatMap { Int($0) }.map { StoredAssessment.Response(item: item.id, value: $0) }
            }
        } else {
            // Only the levels the instructor set, with the evidence they chose: nothing is filled in for them.
            var levels: [StoredAssessment.Level] = []
            for area in framework.areas {
                for competence in area.competences {
                    guard let value = form["level-\(competence.code)"].flatMap({ Int($0) }), value > 0 else { continue }
                    levels.append(StoredAssessment.Level(competence: competence.code, level: value))
                }
            }
            let evidence = form.value("evidence").flatMap(Evidence.init(rawValue:))
            let problems = (evidence == nil ? [text("assessment.chooseEvidence", visitor)] : []) + (levels.isEmpty ? [text("assessment.nothingSet", visitor)] : [])
            guard let evidence, problems.isEmpty else {
                return try await assessmentForm(id, request, visitor, actor, form: form, problems: problems, status: .badRequest)
            }
            input.evidence = evidence
            input.levels = levels
        }
        input.checkpoint = form.value("checkpoint")
        input.note = form.value("note")
        let refusal: CoreError
        do {
            _ = try await service.recordAssessment(input, client: id, as: actor)
            return PageRenderer.redirect("/clients/\(id)?notice=recorded")
        } catch {
            refusal = error
        }
        // An assessment that breaks a rule: the form again, saying why; any other refusal: the error page.
        guard refusal.code == .invalid else { throw refusal }
        return try await assessmentForm(
            id, request, visitor, actor, form: form, problems: [refusal.message(in: visitor.language)] + refusal.problems, status: .badRequest)
    }

    // MARK: Confirming (attestation)

    /// One row per confirmation a badge asks for; the buttons only where the actor can give it.
    private func attestationRows(
        _ standings: [AttestationStanding], client id: String, writer: ReasonWriter, words: ProgressReportWords, visitor: Visitor, actor: Actor
    ) -> String {
        let mine = BadgeService.attestingRoles(of: actor)
        var rows = HTMLText(capacity: 512 * standings.count)
        for standing in standings {
            let name = writer.badgeName(standing.badge)
            rows.raw("<li><span class=\"badge-name\">")
            rows.text(name)
            rows.raw("</span> <span>")
            rows.text(text("client.attestationBy", visitor, ["role": text("role.\(standing.role.rawValue)", visitor)]))
            rows.raw(" · ")
            let href = "/clients/\(id)/attest?badge=" + standing.badge + (standing.role == .admin ? "&role=admin" : "")
            if let given = standing.given {
                rows.text(text("client.attestationGiven", visitor, ["by": given.by, "date": words.date(given.at)]))
                rows.raw("</span>")
                if mine.contains(standing.role) {
                    rows.raw(" <a class=\"button secondary\" href=\"")
                    rows.text(href + "&withdraw=yes")
                    rows.raw("\">")
                    rows.text(text("client.withdrawAttestation", visitor))
                    rows.raw("<span class=\"visually-hidden\">: ")
                    rows.text(name)
                    rows.raw("</span></a>")
                }
            } else {
                rows.text(text("client.attestationMissing", visitor))
                rows.raw("</span>")
                if mine.contains(standing.role) {
                    rows.raw(" <a class=\"button\" href=\"")
                    rows.text(href)
                    rows.raw("\">")
                    rows.text(text("client.attest", visitor))
                    rows.raw("<span class=\"visually-hidden\">: ")
                    rows.text(name)
                    rows.raw("</span></a>")
                }
            }
            rows.raw("</li>")
        }
        return rows.html
    }

    /// The confirmation step: what is confirmed (or withdrawn), for whom, and what follows.
    func attestForm(_ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        let file = try await service.clientFile(id, as: actor)
        let query = request.uri.queryParameters
        guard let badge = query["badge"].map(String.init), service.compiled.definitions.badge(badge) != nil else {
            throw CoreError(.notFound, key: "badge.notFound", ["badge": query["badge"].map(String.init) ?? ""])
        }
        let role = query["role"].flatMap { Criterion.Role(rawValue: String($0)) } ?? .instructor
        let withdrawing = query["withdraw"] == "yes"
        let standing = service.attestations(of: file).first { $0.badge == badge && $0.role == role }
        guard let standing, (standing.given != nil) == withdrawing else {
            throw PageRefusal(status: .conflict, message: withdrawing ? text("attest.nothingToWithdraw", visitor) : text("attest.notNeeded", visitor))
        }
        let name = words(visitor).writer.badgeName(badge)
        let said =
            withdrawing
            ? (title: text("attest.withdrawTitle", visitor, ["badge": name]), confirm: text("attest.withdrawConfirm", visitor),
               submit: text("client.withdrawAttestation", visitor), action: "withdraw-attestation")
            : (title: text("attest.title", visitor, ["badge": name]), confirm: text("attest.confirm", visitor), submit: text("client.attest", visitor),
               action: "attest")
        var values: [String: Any] = [
            "client": id, "badge": badge, "role": role.rawValue, "badgeName": name, "back": "/clients/\(id)", "who": text("role.\(role.rawValue)", visitor),
            "action": "/clients/\(id)/" + said.action, "confirm": said.confirm, "submit": said.submit, "danger": withdrawing,
        ]
        if let given = standing.given { values["given"] = text("client.attestationGiven", visitor, ["by": given.by, "date": words(visitor).date(given.at)]) }
        return renderer.page("attest", title: said.title, values, visitor: visitor, request: request)
    }

    func attest(_ id: String, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        guard let badge = form.value("badge") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        try await service.attest(client: id, badge: badge, role: form.value("role").flatMap(Criterion.Role.init(rawValue:)), as: actor)
        return PageRenderer.redirect("/clients/\(id)?notice=attested")
    }

    func withdrawAttestation(_ id: String, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        guard let badge = form.value("badge") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        try await service.withdrawAttestation(client: id, badge: badge, as: actor)
        return PageRenderer.redirect("/clients/\(id)?notice=attestationWithdrawn")
    }

    // MARK: Erasing (administrators)

    /// The erase form: what erasure removes and keeps, and a field where the admin types the client's id.
    func eraseForm(_ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor, error: String? = nil) async throws -> Response {
        try await service.authorize(actor, .administer)
        let file = try await service.clientFile(id, as: actor)
        guard file.client.erasedAt == nil else { throw PageRefusal(status: .conflict, message: text("client.erased", visitor)) }
        var values: [String: Any] = ["client": id, "action": "/clients/\(id)/erase", "back": "/clients/\(id)"]
        if let error { values["confirmError"] = error }
        return renderer.page(
            "erase", title: text("erase.title", visitor, ["client": id]), values, visitor: visitor, request: request, status: error == nil ? .ok : .badRequest)
    }

    func erase(_ id: String, _ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        do {
            try await service.eraseClient(id, confirm: form.value("confirm") ?? "", as: actor)
        } catch {
            // Not the id typed: the form again, saying so.
            guard error.key == "erase.confirm" else { throw error }
            return try await eraseForm(id, request, visitor, actor, error: error.message(in: visitor.language))
        }
        revoked()
        return PageRenderer.redirect("/clients/\(id)?notice=erased")
    }

    // MARK: Awarding and revoking

    func awardForm(_ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        let (file, result) = try await service.clientOverview(id, as: actor)
        // No badge named: the badges that can be awarded now, to choose from.
        guard let named = request.uri.queryParameters["badge"], !named.isEmpty else {
            let writer = words(visitor).writer
            let awardable = (result?.badges ?? []).filter { $0.earned && $0.held == nil }.map { badge -> [String: Any] in
                ["name": writer.badgeName(badge.id), "awardHref": "/clients/\(id)/award?badge=" + badge.id]
            }
            return renderer.page(
                "award-choose", title: text("client.awardable", visitor),
                ["client": id, "awardable": awardable, "hasAwardable": !awardable.isEmpty, "back": "/clients/\(id)"], visitor: visitor, request: request)
        }
        let badge = String(named)
        guard service.compiled.definitions.badge(badge) != nil else { throw CoreError(.notFound, key: "badge.notFound", ["badge": badge]) }
        // Only an earned badge is offered; one the client holds, as a replacement (the one held is revoked as
        // "replaced" in the same transaction).
        guard let standing = result?.badges.first(where: { $0.id == badge }), standing.earned else {
            throw PageRefusal(status: .conflict, message: text("award.notEarned", visitor))
        }
        let clientLanguage = file.client.language ?? .fi
        let languages = Language.allCases.map { language -> [String: Any] in
            ["code": language.rawValue, "name": text("language.\(language.rawValue)", visitor), "selected": language == clientLanguage]
        }
        let name = words(visitor).writer.badgeName(badge)
        return renderer.page(
            "award", title: text("award.title", visitor, ["badge": name]),
            [
                "client": id, "badge": badge, "badgeName": name, "languages": languages, "action": "/clients/\(id)/award", "back": "/clients/\(id)",
                "replacing": standing.held.map { text("award.replacing", visitor, ["date": words(visitor).date($0.issuedAt)]) } ?? "",
            ],
            visitor: visitor, request: request)
    }

    func award(_ id: String, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let badge = form.value("badge") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        // With its OB 2.0 twin when asked (for services that read only Open Badges 2.0).
        let formats: [CredentialFormat] = form.value("ob2") == nil ? [.ob3JWT] : [.ob3JWT, .ob2Signed]
        _ = try await service.issue(
            client: id, badge: badge, formats: formats, language: form.value("language").flatMap(Language.init(rawValue:)),
            replacing: form.value("replace") != nil, as: actor)
        return PageRenderer.redirect("/clients/\(id)?notice=awarded")
    }

    /// Every earned badge not yet held, to every client of a unit.
    func awardEarned(_ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let unit = form.value("unit") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        let bulk = try await service.issueAllEarned(unit: unit, as: actor)
        return PageRenderer.redirect("/clients?notice=" + (bulk.issued.isEmpty ? "nothingToAward" : "bulkAwarded"))
    }

    /// The form that revokes a credential, or (`suspending`) suspends it: the same questions, other words.
    func revokeForm(
        _ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor, suspending: Bool = false, credential given: String? = nil,
        error: String? = nil
    ) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let credentialID = given ?? request.uri.queryParameters["credential"].map(String.init) else {
            throw PageRefusal(status: .badRequest, message: text("error.form", visitor))
        }
        let credential = try await service.credential(credentialID, as: actor)
        guard credential.client == id else { throw CoreError(.notFound, key: "credential.notFound", ["credential": credentialID]) }
        let said =
            suspending
            ? (title: text("suspend.title", visitor), confirm: text("suspend.confirm", visitor), reason: text("suspend.reason", visitor),
               hint: text("suspend.reasonHint", visitor), submit: text("suspend.submit", visitor))
            : (title: text("revoke.title", visitor), confirm: text("revoke.confirm", visitor), reason: text("revoke.reason", visitor),
               hint: text("revoke.reasonHint", visitor), submit: text("revoke.submit", visitor))
        let writer = words(visitor)
        var values: [String: Any] = [
            "client": id, "credential": credentialID, "badgeName": writer.writer.badgeName(credential.badge), "date": writer.date(credential.issuedAt),
            "action": "/clients/\(id)/" + (suspending ? "suspend" : "revoke"), "back": "/clients/\(id)", "confirm": said.confirm,
            "reasonLabel": said.reason, "reasonHint": said.hint, "submit": said.submit,
        ]
        if let error { values["reasonError"] = error }
        return renderer.page("revoke", title: said.title, values, visitor: visitor, request: request, status: error == nil ? .ok : .badRequest)
    }

    func revoke(_ id: String, _ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let (credential, reason) = try await statusChange(id, form, request, visitor, actor, suspending: false)
        guard let reason else {
            return try await revokeForm(
                id, request, visitor, actor, credential: credential, error: CoreError(.invalid, key: "revocation.reason").message(in: visitor.language))
        }
        _ = try await service.revoke(credential: credential, reason: reason, as: actor)
        revoked()
        return PageRenderer.redirect("/clients/\(id)?notice=revoked")
    }

    func suspend(_ id: String, _ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        let (credential, reason) = try await statusChange(id, form, request, visitor, actor, suspending: true)
        guard let reason else {
            return try await revokeForm(
                id, request, visitor, actor, suspending: true, credential: credential,
                error: CoreError(.invalid, key: "revocation.reason").message(in: visitor.language))
        }
        _ = try await service.suspend(credential: credential, reason: reason, as: actor)
        revoked()
        return PageRenderer.redirect("/clients/\(id)?notice=suspended")
    }

    func liftSuspension(_ id: String, _ form: SubmittedForm, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        guard let credential = form.value("credential") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        guard try await service.credential(credential, as: actor).client == id else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": credential])
        }
        try await service.liftSuspension(credential: credential, as: actor)
        revoked()
        return PageRenderer.redirect("/clients/\(id)?notice=lifted")
    }

    /// The credential (of this client) and the reason a revoke or suspend form sent; nil reason: none given.
    private func statusChange(
        _ id: String, _ form: SubmittedForm, _ request: Request, _ visitor: Visitor, _ actor: Actor, suspending: Bool
    ) async throws -> (credential: String, reason: String?) {
        try requireStaff(actor, visitor)
        guard let credential = form.value("credential") else { throw PageRefusal(status: .badRequest, message: text("error.form", visitor)) }
        guard try await service.credential(credential, as: actor).client == id else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": credential])
        }
        return (credential, form.value("reason"))
    }

    // MARK: Sign-in code

    func signInCode(_ id: String, _ request: Request, _ visitor: Visitor, _ actor: Actor) async throws -> Response {
        try requireStaff(actor, visitor)
        let code = try await service.createSignInCode(forClient: id, as: actor)
        return renderer.page(
            "signin-code", title: text("code.title", visitor, ["client": id]),
            [
                "client": id, "code": code.code, "link": code.link, "qr": QRCode.svg(code.link, title: code.link) ?? "", "until": words(visitor).date(code.expiresAt),
                "back": "/clients/\(id)",
            ], visitor: visitor, request: request)
    }
}
