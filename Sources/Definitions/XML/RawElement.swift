import CLibXML2
import Foundation

/// An element of a parsed, valid definition file: a view of libxml2's node with its source position.
///
/// This is the boundary between libxml2 and the rest of Merkisto: the model builder reads elements through
/// it and nothing above the builder sees a C pointer. A view lives only while its document does, inside
/// the callback ``SafeXMLParser/parse(bytes:displayPath:root:)`` hands the root to, so the model is made
/// straight from libxml2's tree without a copy of it (which took a twentieth of linting 2,000 badges).
struct RawElement {
    private let node: xmlNodePtr
    private let locations: ElementLocations

    /// `node` must carry its index in `locations` (plus one) in `_private`, as the parser sets it.
    init(_ node: xmlNodePtr, locations: ElementLocations) {
        self.node = node
        self.locations = locations
    }

    /// The local name (`badge`, `all-of`, …); every element is in the Merkisto namespace once validated.
    var name: String { String(cString: node.pointee.name) }

    var location: SourceLocation {
        locations.all[Int(bitPattern: node.pointee._private) - 1]
    }

    /// An attribute's value by qualified name (`id`, `min-level`, `xml:lang`).
    subscript(attribute name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in
            var property = node.pointee.properties
            while let attribute = property {
                if Self.attribute(attribute, isNamed: wanted) { return Self.text(of: attribute.pointee.children) }
                property = attribute.pointee.next
            }
            return nil
        }
    }

    /// The element children, in document order.
    var children: [RawElement] { elements(named: nil) }

    /// Children with a given local name, in document order.
    func children(named name: String) -> [RawElement] { elements(named: name) }

    /// Calls `body` with each child of that local name, in document order (without an array of them).
    func forEachChild(named name: String, _ body: (RawElement) -> Void) {
        forEachElement(named: name) {
            body($0)
            return true
        }
    }

    func child(named name: String) -> RawElement? {
        var found: RawElement?
        forEachElement(named: name) { element in
            found = element
            return false
        }
        return found
    }

    /// Calls `body` with each element child (with the given local name, when one is given) in document
    /// order, until it returns false.
    private func forEachElement(named name: String?, _ body: (RawElement) -> Bool) {
        func visit(_ wanted: UnsafeBufferPointer<UInt8>?) {
            var child = node.pointee.children
            while let current = child {
                if current.pointee.type == XML_ELEMENT_NODE, wanted.map({ Self.equal(current.pointee.name, $0) }) ?? true,
                    !body(RawElement(current, locations: locations))
                {
                    return
                }
                child = current.pointee.next
            }
        }
        guard var name else { return visit(nil) }
        name.withUTF8 { visit($0) }
    }

    private func elements(named name: String?) -> [RawElement] {
        var elements: [RawElement] = []
        forEachElement(named: name) {
            elements.append($0)
            return true
        }
        return elements
    }

    /// The element's text (its text and CDATA children, concatenated) when it has no element children;
    /// empty otherwise (the schemas allow no mixed content, so that text is only the space between them).
    var text: String {
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { return "" }
            child = current.pointee.next
        }
        return Self.text(of: node.pointee.children)
    }

    /// The text and CDATA nodes from `first` on, concatenated.
    private static func text(of first: xmlNodePtr?) -> String {
        // One node, the usual case, becomes a string directly.
        if let first, first.pointee.next == nil {
            guard first.pointee.type == XML_TEXT_NODE || first.pointee.type == XML_CDATA_SECTION_NODE, let content = first.pointee.content
            else { return "" }
            return String(cString: content)
        }
        var text = ""
        var node = first
        while let current = node {
            if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE, let content = current.pointee.content {
                text += String(cString: content)
            }
            node = current.pointee.next
        }
        return text
    }

    /// Whether a NUL-terminated libxml2 name equals the given bytes.
    private static func equal(_ name: UnsafePointer<xmlChar>?, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let name else { return false }
        for index in 0..<wanted.count where name[index] != wanted[index] { return false }  // a NUL differs too
        return name[wanted.count] == 0
    }

    /// Whether an attribute's qualified name (`prefix:local` or `local`) equals the given bytes.
    private static func attribute(_ attribute: xmlAttrPtr, isNamed wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let prefix = attribute.pointee.ns?.pointee.prefix else { return equal(attribute.pointee.name, wanted) }
        guard let colon = wanted.firstIndex(of: UInt8(ascii: ":")) else { return false }
        return equal(prefix, UnsafeBufferPointer(rebasing: wanted[..<colon]))
            && equal(attribute.pointee.name, UnsafeBufferPointer(rebasing: wanted[(colon + 1)...]))
    }
}

/// The source position of every element of one document, in document order.
final class ElementLocations {
    let all: [SourceLocation]

    init(_ all: [SourceLocation]) { self.all = all }
}
