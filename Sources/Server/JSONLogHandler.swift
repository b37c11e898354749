import Basics
import Foundation
public import Logging

/// Writes each log record as one JSON object on a line of standard error (`merkisto serve --log-format
/// json`), for log collectors: `time` (RFC 3339, UTC), `level`, `label`, `message` and the metadata as
/// strings. swift-log has no such handler; see docs/decisions/0011.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data(Self.line(event, label: label, handlerMetadata: metadata, now: Timestamp.now)))
    }

    /// The record as its JSON line (newline included).
    static func line(_ event: LogEvent, label: String, handlerMetadata: Logger.Metadata, now: Timestamp) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "time": .string(Timestamp(microseconds: now.microseconds).description), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        for (key, value) in handlerMetadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) where fields[key] == nil {
            fields[key] = .string(value.description)
        }
        return JSONValue.object(fields).jsonBytes() + [0x0A]
    }
}
