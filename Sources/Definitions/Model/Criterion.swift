/// A node of a badge's criterion expression, with where it was written.
public struct Criterion: Sendable, Hashable {
    public var expression: Expression
    public var location: SourceLocation

    public init(_ expression: Expression, at location: SourceLocation) {
        self.expression = expression
        self.location = location
    }

    public indirect enum Expression: Sendable, Hashable {
        /// Every child holds.
        case allOf([Criterion])
        /// At least one child holds.
        case anyOf([Criterion])
        /// At least `count` children hold.
        case atLeast(count: Int, [Criterion])
        /// The client's current level in a competence, from evidence at least this strong, is ≥ `minLevel`.
        case competence(code: String, minLevel: Int, evidence: Evidence)
        /// At least `count` (nil: all) competences of the area are at ≥ `minLevel`.
        case area(code: String, minLevel: Int, count: Int?, evidence: Evidence)
        /// Every requirement of a baseline (optionally only one area's) holds.
        case baseline(id: String, area: String?, evidence: Evidence?)
        /// The latest answer to an item has at least `minValue`, or is correct.
        case item(instrument: String, item: String, condition: ItemCondition)
        /// The client holds a valid award of another badge, or earns it in the same evaluation.
        case badge(id: String)
        /// Someone in this role has confirmed the badge for this client.
        case attestation(role: Role)
    }

    public enum ItemCondition: Sendable, Hashable {
        case minValue(Int)
        case correct
    }

    public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
        case instructor
        case admin
    }

    /// Direct children of a combinator; empty for leaves.
    public var children: [Criterion] {
        switch expression {
        case .allOf(let children), .anyOf(let children), .atLeast(_, let children): children
        default: []
        }
    }

    /// This node and all its descendants, depth first.
    public var allNodes: [Criterion] {
        var nodes: [Criterion] = []
        appendNodes(to: &nodes)
        return nodes
    }

    private func appendNodes(to nodes: inout [Criterion]) {
        nodes.append(self)
        for child in children { child.appendNodes(to: &nodes) }
    }

    /// The ids of the badges this criterion depends on.
    public var badgeDependencies: [String] {
        allNodes.compactMap {
            if case .badge(let id) = $0.expression { return id }
            return nil
        }
    }
}
