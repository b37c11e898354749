import ArgumentParser
import Definitions

extension Merkisto {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a definition as an administrator reads it.")
    }
}
