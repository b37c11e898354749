import Foundation
import GRDB
import GRDBSQLite

/// Copies the write-ahead log into the database on a connection and thread of its own, so that a writer
/// does not stop for it.
///
/// SQLite's automatic checkpoint runs on the writing connection right after a commit: in bulk issuing
/// the committer stopped for about 100 ms every 30 MB of log while signed credentials piled up. Here the
/// writer's log hook only asks for a checkpoint (PASSIVE: it copies what is committed without waiting for
/// or blocking anyone). Only when the log has grown far past that — a checkpoint can never catch up with
/// a writer that never pauses, and the log starts over only once all of it is copied — does the writer
/// copy the rest itself, which is then little.
///
/// Checkpoints change where committed data sits, never whether it is durable: a commit is on disk (in
/// the log, `synchronous = FULL`) before its call returns.
final class Checkpointer: @unchecked Sendable {
    /// Log pages after which a background checkpoint is asked for.
    static let backgroundPages: CInt = 1024
    /// Log pages after which the writer completes the checkpoint itself.
    static let writerPages: CInt = 16384

    private let path: String
    private let queue = DispatchQueue(label: "merkisto.checkpoint", qos: .utility)
    /// Held while a checkpoint runs: a background one, the writer's, or the truncating one of an erase.
    private let running = NSLock()
    // `state` guards the fields below.
    private let state = NSLock()
    private var scheduled = false
    private var checkpoints = 0
    /// The checkpointing connection, opened on first use (on `queue`).
    private var connection: DatabaseQueue?

    init(path: String) {
        self.path = path
    }

    /// Installs the log hook on a connection of the store (a reader never commits, so it never calls it).
    /// SQLite's automatic checkpoint is off on a connection with a hook of its own.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, _, pages in
            guard let context, let connection else { return SQLITE_OK }
            Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().committed(pages: pages, on: connection)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// After a commit on `connection` (the writer), with `pages` now in the log.
    private func committed(pages: CInt, on connection: OpaquePointer) {
        if pages >= Self.writerPages, running.try() {
            // Errors leave the log as it is; the next commit asks again.
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            running.unlock()
        } else if pages >= Self.backgroundPages {
            let schedule = state.withLock {
                defer { scheduled = true }
                return !scheduled
            }
            if schedule { queue.async { self.checkpointInBackground() } }
        }
    }

    private func checkpointInBackground() {
        state.withLock { scheduled = false }
        running.withLock {
            do {
                if connection == nil {
                    var configuration = Configuration()
                    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                    connection = try DatabaseQueue(path: path, configuration: configuration)
                }
                try connection?.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
                state.withLock { checkpoints += 1 }
            } catch {
                // A checkpoint that cannot run now leaves the log as it is; the next commit asks again.
            }
        }
    }

    /// How many background checkpoints have run.
    var backgroundCheckpoints: Int { state.withLock { checkpoints } }

    /// Runs `body` (a checkpoint of the caller's own) when no other checkpoint is running.
    func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        try running.withLock(body)
    }

    /// Waits for a checkpoint asked for before now, and closes the checkpointing connection.
    func close() {
        queue.sync {
            running.withLock {
                try? connection?.close()
                connection = nil
            }
        }
    }
}
