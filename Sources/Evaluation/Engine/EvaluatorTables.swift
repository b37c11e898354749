import Definitions

/// Plain-data copies of the compiled tables plus per-client scratch space, owned by one evaluator.
///
/// Everything here is a manually allocated buffer of plain values, so the hot path does no reference
/// counting and no bounds-checked copies of structures holding strings or arrays.
final class EvaluatorTables {
    let competenceCount: Int
    let badgeCount: Int

    let nodes: UnsafeMutableBufferPointer<CompiledDefinitions.Node>
    let lists: UnsafeMutableBufferPointer<Int32>
    let requirements: UnsafeMutableBufferPointer<CompiledDefinitions.Requirement>
    let itemScores: UnsafeMutableBufferPointer<CompiledDefinitions.ItemScore>
    let itemOffset: UnsafeMutableBufferPointer<Int32>
    let percentLevels: UnsafeMutableBufferPointer<Int8>
    let wholes: UnsafeMutableBufferPointer<Int>
    let badgeRoots: UnsafeMutableBufferPointer<Int32>

    /// Best (time, evidence, level) key per evidence floor and competence; `Int64.min` when none.
    let best: UnsafeMutableBufferPointer<Int64>
    /// The assessment that gave each best key.
    let source: UnsafeMutableBufferPointer<Int32>
    let numerator: UnsafeMutableBufferPointer<Int>
    let touched: UnsafeMutableBufferPointer<Int32>
    let touchedFlag: UnsafeMutableBufferPointer<Bool>
    let direct: UnsafeMutableBufferPointer<Int32>
    let slotKey: UnsafeMutableBufferPointer<Int64>
    let slotValue: UnsafeMutableBufferPointer<Int32>
    let slotSource: UnsafeMutableBufferPointer<Int32>
    /// Latest attestation index per (role, badge), -1 when none.
    let attested: UnsafeMutableBufferPointer<Int32>
    /// Latest valid award index per badge, -1 when none.
    let held: UnsafeMutableBufferPointer<Int32>
    let earned: UnsafeMutableBufferPointer<Bool>

    init(_ compiled: CompiledDefinitions) {
        competenceCount = compiled.competenceCodes.count
        badgeCount = compiled.badges.count
        nodes = Self.copy(compiled.nodes)
        lists = Self.copy(compiled.lists)
        requirements = Self.copy(compiled.requirements)
        itemScores = Self.copy(compiled.itemScores)
        itemOffset = Self.copy(compiled.itemOffset)
        percentLevels = Self.copy(compiled.percentLevels)
        wholes = Self.copy(compiled.wholes)
        badgeRoots = Self.copy(compiled.badges.map(\.root))
        best = Self.filled(.min, 3 * competenceCount)
        source = Self.filled(-1, 3 * competenceCount)
        numerator = Self.filled(0, competenceCount)
        touched = Self.filled(0, competenceCount)
        touchedFlag = Self.filled(false, competenceCount)
        direct = Self.filled(-1, competenceCount)
        slotKey = Self.filled(.min, compiled.itemSlots.count)
        slotValue = Self.filled(0, compiled.itemSlots.count)
        slotSource = Self.filled(-1, compiled.itemSlots.count)
        attested = Self.filled(-1, 2 * badgeCount)
        held = Self.filled(-1, badgeCount)
        earned = Self.filled(false, badgeCount)
    }

    deinit {
        nodes.deallocate()
        lists.deallocate()
        requirements.deallocate()
        itemScores.deallocate()
        itemOffset.deallocate()
        percentLevels.deallocate()
        wholes.deallocate()
        badgeRoots.deallocate()
        best.deallocate()
        source.deallocate()
        numerator.deallocate()
        touched.deallocate()
        touchedFlag.deallocate()
        direct.deallocate()
        slotKey.deallocate()
        slotValue.deallocate()
        slotSource.deallocate()
        attested.deallocate()
        held.deallocate()
        earned.deallocate()
    }

    private static func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        // Capacity is at least 1 so that an empty table still owns an allocation to free.
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
        _ = buffer.initialize(from: array)
        return buffer
    }

    private static func filled<T>(_ value: T, _ count: Int) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: value)
        return buffer
    }
}
