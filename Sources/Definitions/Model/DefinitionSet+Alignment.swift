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
