/// Comparing secrets (tokens, their digests) so that the time taken says nothing about how much of one
/// was right.
public enum ConstantTime {
    /// Whether two byte strings are equal, looking at every byte of both whatever they hold (only a
    /// difference in length answers at once: lengths are not secret).
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
