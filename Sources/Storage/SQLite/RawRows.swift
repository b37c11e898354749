import Basics
import Foundation
import GRDB
import GRDBSQLite

/// The row a statement stands on, its columns read straight from SQLite. For the reads that go through
/// every client (the dry run): GRDB's generic decoding of each value (a `DatabaseValue`, then the type)
/// was a third of that work.
struct RawRow {
    let statement: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    /// The column's text as UTF-8, valid until the statement steps on.
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // The text first, then its length (SQLite's advice: the length is then that of the text).
        guard let text = sqlite3_column_text(statement, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column)))
    }

    func text(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }

    func timestamp(_ column: Int32) throws(StoreError) -> Timestamp {
        guard case .success(let time) = Timestamp.parse(utf8: bytes(column)) else { throw unreadable(column, "a date and time") }
        return time
    }

    func optionalTimestamp(_ column: Int32) throws(StoreError) -> Timestamp? { isNull(column) ? nil : try timestamp(column) }

    /// A value of a closed set stored as its name.
    func value<Value: RawRepresentable>(_ column: Int32, _ type: Value.Type = Value.self) throws(StoreError) -> Value where Value.RawValue == String {
        guard let value = Value(rawValue: text(column)) else { throw unreadable(column, "a \(Value.self)") }
        return value
    }

    func optionalValue<Value: RawRepresentable>(_ column: Int32, _ type: Value.Type = Value.self) throws(StoreError) -> Value?
    where Value.RawValue == String {
        isNull(column) ? nil : try value(column, type)
    }

    private func unreadable(_ column: Int32, _ what: String) -> StoreError {
        let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "\(column)"
        return StoreError(.database, "the column \(name) holds \"\(text(column))\", which is not \(what)")
    }
}

extension Statement {
    /// Steps through the statement's rows with `arguments`, handing each to `body`.
    func forEachRawRow(arguments: StatementArguments, _ body: (RawRow) throws -> Void) throws {
        try setArguments(arguments)
        defer { sqlite3_reset(sqliteStatement) }
        while true {
            let code = sqlite3_step(sqliteStatement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                let message = sqlite3_errmsg(sqlite3_db_handle(sqliteStatement)).map { String(cString: $0) }
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
            }
            try body(RawRow(statement: sqliteStatement))
        }
    }
}

/// Finds the file a row belongs to when rows come in the files' order (by client id, byte order): the same
/// client as the row before or the next one, else looked up by id.
struct RowOwners {
    /// The ids' UTF-8, compared with a column's bytes as memory.
    private let ids: [[UInt8]]
    private let index: [String: Int]
    private var last = 0

    init(_ files: [ClientFile]) {
        ids = files.map { Array($0.client.id.utf8) }
        index = Dictionary(files.enumerated().map { ($0.element.client.id, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    private func holds(_ position: Int, _ id: UnsafeBufferPointer<UInt8>) -> Bool {
        ids[position].withUnsafeBufferPointer { known in
            known.count == id.count && (id.isEmpty || memcmp(known.baseAddress!, id.baseAddress!, id.count) == 0)
        }
    }

    /// The index of the file whose client id the column holds.
    mutating func of(_ id: UnsafeBufferPointer<UInt8>) -> Int? {
        if last < ids.count, holds(last, id) { return last }
        if last + 1 < ids.count, holds(last + 1, id) {
            last += 1
            return last
        }
        guard let found = index[String(decoding: id, as: UTF8.self)] else { return nil }
        last = found
        return found
    }
}

