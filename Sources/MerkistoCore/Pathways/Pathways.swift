public import Basics
import Credentials
public import Definitions
import Evaluation
import Foundation
public import Storage

/// The pathway: periods through the phases the model allows, each change audited.
extension BadgeService {
    /// Starts a pathway period for a client the actor may record for.
    public func startPathway(
        client id: String, phase: String?, decisionStart: Timestamp?, decisionEnd: Timestamp?, at time: Timestamp? = nil, as actor: Actor
    ) async throws(CoreError) -> PathwayPeriod {
        try await authorize(actor, .record(client: id))
        return try await startPathway(client: id, phase: phase, decisionStart: decisionStart, decisionEnd: decisionEnd, at: time, by: actor.auditName)
    }

    /// Moves the client's open pathway period to another phase, as the model allows (at `time`, default now).
    public func advancePathway(client id: String, to phase: String, at time: Timestamp? = nil, as actor: Actor) async throws(CoreError) -> PathwayPeriod {
        try await authorize(actor, .record(client: id))
        return try await advancePathway(client: id, to: phase, at: time, by: actor.auditName)
    }

    /// Closes the client's open pathway period with an outcome the model names.
    public func closePathway(client id: String, outcome: String, at time: Timestamp? = nil, as actor: Actor) async throws(CoreError) -> PathwayPeriod {
        try await authorize(actor, .record(client: id))
        return try await closePathway(client: id, outcome: outcome, at: time, by: actor.auditName)
    }

    /// The pathway model of the definitions.
    public func pathwayModel() throws(CoreError) -> Pathway {
        guard let pathway = compiled.definitions.pathways.first else {
            throw CoreError(.conflict, key: "pathway.none")
        }
        return pathway
    }

    /// Starts a pathway period in the model's first phase (or `phase`).
    @discardableResult
    package func startPathway(
        client id: String, phase: String? = nil, decisionStart: Timestamp? = nil, decisionEnd: Timestamp? = nil, at time: Timestamp? = nil,
        by actor: String
    ) async throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        let file = try await liveFile(id)
        let first = phase ?? model.phases.first?.id ?? ""
        guard model.phase(first) != nil else {
            throw CoreError(.invalid, key: "pathway.noPhase", ["pathway": model.id, "phase": first, "phases": model.phases.map(\.id).joined(separator: ", ")])
        }
        if let decisionStart, let decisionEnd, decisionEnd < decisionStart {
            throw CoreError(.invalid, key: "pathway.decisionOrder", ["end": "\(decisionEnd)", "start": "\(decisionStart)"])
        }
        if let open = file.openPeriod {
            throw CoreError(.conflict, key: "pathway.open", ["client": id, "period": open.id, "phase": open.currentPhase ?? "?"])
        }
        let time = try checkedTime(time, after: file.periods.last?.closedAt)
        let period = PathwayPeriod(
            id: "\(id)-\(file.periods.count + 1)", client: id, pathway: model.id, decisionStart: decisionStart, decisionEnd: decisionEnd,
            phases: [PhaseChange(phase: first, at: time, by: actor)])
        try await stored { () async throws(StoreError) in try await store.startPeriod(period, by: actor, at: time) }
        return period
    }

    /// Moves the client's open period to the next phase; only transitions the model allows.
    @discardableResult
    package func advancePathway(client id: String, to phase: String, at time: Timestamp? = nil, by actor: String) async throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        var period = try await openPeriod(of: id)
        let current = period.currentPhase ?? ""
        let allowed = model.phase(current)?.next.map(\.phase) ?? []
        guard allowed.contains(phase) else {
            let key = (model.phase(phase) == nil ? "pathway.unknown" : "pathway.move") + (allowed.isEmpty ? ".last" : ".next")
            throw CoreError(.invalid, key: key, ["pathway": model.id, "phase": phase, "from": current, "next": allowed.joined(separator: ", ")])
        }
        let change = PhaseChange(phase: phase, at: try checkedTime(time, after: period.phases.last?.at), by: actor)
        try await stored { () async throws(StoreError) in try await store.changePhase(period: period.id, from: current, to: change) }
        period.phases.append(change)
        return period
    }

    /// Closes the client's open period with an outcome of the model.
    @discardableResult
    package func closePathway(client id: String, outcome: String, at time: Timestamp? = nil, by actor: String) async throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        guard model.outcomes.contains(where: { $0.id == outcome }) else {
            throw CoreError(.invalid, key: "pathway.noOutcome", ["pathway": model.id, "outcome": outcome, "outcomes": model.outcomes.map(\.id).joined(separator: ", ")])
        }
        var period = try await openPeriod(of: id)
        let time = try checkedTime(time, after: period.phases.last?.at)
        try await stored { () async throws(StoreError) in
            try await store.closePeriod(period: period.id, from: period.currentPhase ?? "", outcome: outcome, by: actor, at: time)
        }
        period.closedAt = time
        period.outcome = outcome
        return period
    }

    func openPeriod(of id: String) async throws(CoreError) -> PathwayPeriod {
        guard let period = try await liveFile(id).openPeriod else {
            throw CoreError(.conflict, key: "pathway.noPeriod", ["client": id])
        }
        return period
    }

    /// A time for a pathway event (default now): not in the future, not before the event it follows.
    func checkedTime(_ time: Timestamp?, after previous: Timestamp?) throws(CoreError) -> Timestamp {
        let current = now
        let time = time ?? current
        guard time <= current else { throw CoreError(.invalid, key: "time.future", ["time": "\(time)"]) }
        if let previous, time < previous {
            throw CoreError(.invalid, key: "time.order", ["time": "\(time)", "previous": "\(previous)"])
        }
        return time
    }
}
