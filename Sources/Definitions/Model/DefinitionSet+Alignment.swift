extension DefinitionSet {
    /// The framework competences a badge's criteria concern, in framework order without repeats.
    ///
    /// Competence and item criteria name one competence; area criteria name all competences of the area;
    /// baseline criteria name the competences the baseline requires (in the chosen area). Badge and
    /// attestation criteria name none; a collection badge's own competences come from its baselines.
    public func alignedCompetences(of badge: Badge) -> [Framework.Competence] {
        guard let framework = framework(badge.framework) else { return [] }
        var codes = Set<String>()
        for node in badge.criteria.allNodes {
            switch node.expression {
            case .competence(let code, _, _):
                codes.insert(code)
            case .area(let code, _, _, _):
                framework.area(code)?.competences.forEach { codes.insert($0.code) }
            case .baseline(let id, let area, _):
                framework.baseline(id)?.requirements
                    .filter { requirement in area.map { requirement.competence.hasPrefix($0 + ".") } ?? true }
                    .forEach { codes.insert($0.competence) }
            case .item(let instrumentID, let itemID, _):
                if let competence = instrument(instrumentID)?.item(itemID)?.competence { codes.insert(competence) }
            case .allOf, .anyOf, .atLeast, .badge, .attestation:
                break
            }
        }
        return framework.competences.filter { codes.contains($0.code) }
    }
}

/// A level a badge's criteria cannot hold without: the competence at least at `level`, from evidence at
/// least as strong as `evidence`.
public struct RequiredLevel: Sendable, Hashable {
    public var competence: String
    public var level: Int
    public var evidence: Evidence
}

extension DefinitionSet {
    /// The competence levels every award of a badge shows: those its criteria reach through `allOf` (and
    /// through an `atLeast` that needs every child) only. A level inside `anyOf` or a partial `atLeast` is
    /// one way among others and is not shown by every award; neither is an area that needs only some of its
    /// competences. A baseline criterion counts its requirements with the stronger of its own evidence and
    /// the requirement's.
    public func requiredLevels(of badge: Badge) -> [RequiredLevel] {
        guard let framework = framework(badge.framework) else { return [] }
        var levels: [RequiredLevel] = []
        func walk(_ criterion: Criterion) {
            switch criterion.expression {
            case .allOf(let children):
                children.forEach(walk)
            case .atLeast(let count, let children) where count >= children.count:
                children.forEach(walk)
            case .competence(let code, let minLevel, let evidence):
                levels.append(RequiredLevel(competence: code, level: minLevel, evidence: evidence))
            case .area(let code, let minLevel, nil, let evidence):
                for competence in framework.area(code)?.competences ?? [] {
                    levels.append(RequiredLevel(competence: competence.code, level: minLevel, evidence: evidence))
                }
            case .baseline(let id, let area, let evidence):
                for requirement in framework.baseline(id)?.requirements ?? [] where area.map({ requirement.competence.hasPrefix($0 + ".") }) ?? true {
                    levels.append(
                        RequiredLevel(competence: requirement.competence, level: requirement.level, evidence: max(requirement.evidence, evidence ?? .self)))
                }
            case .anyOf, .atLeast, .area, .item, .badge, .attestation:
                break
            }
        }
        walk(badge.criteria)
        return levels
    }
}
