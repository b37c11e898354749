extension String {
    /// Whether two texts are equal, told by their UTF-8 lengths first: where most texts compared differ in
    /// length (keys, IRIs), this skips the general comparison.
    @inlinable
    package func isSame(as other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}
