/// An element of a parsed definition file, as plain Swift values with source positions.
///
/// This is the boundary between libxml2 and the rest of Merkisto: nothing above this type sees a C pointer.
struct RawElement: Sendable {
    /// The local name (`badge`, `all-of`, …); every element is in the Merkisto namespace once validated.
    var name: String
    var location: SourceLocation
    /// Attributes by qualified name (`id`, `min-level`, `xml:lang`), in document order: an element has a
    /// handful, so a list is quicker to build and search than a dictionary.
    var attributes: [(name: String, value: String)]
    var children: [RawElement]
    /// The element's own text (its text and CDATA children, concatenated) when it has no element children;
    /// empty otherwise.
    var text: String

    subscript(attribute name: String) -> String? {
        for attribute in attributes where attribute.name == name { return attribute.value }
        return nil
    }

    /// Children with a given local name, in document order.
    func children(named name: String) -> [RawElement] {
        children.filter { $0.name == name }
    }

    func child(named name: String) -> RawElement? {
        children.first { $0.name == name }
    }
}
