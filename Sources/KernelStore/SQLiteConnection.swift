import CSQLite
import Glibc
import KernelCore

private let SQLITE_TRANSIENT_DESTRUCTOR = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection, used only from the worker thread that opened it.
/// Keeps a cache of prepared statements keyed by SQL text.
final class SQLiteConnection: @unchecked Sendable {
    static let busyTimeoutMilliseconds: Int32 = 10_000
    static let statementCacheLimit = 256
    /// Extra attempts after `busyTimeoutMilliseconds` ran out (another process holds the lock).
    static let busyRetries = 5

    private var db: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]
    let path: String

    init(path: String, readOnly: Bool) throws {
        self.path = path
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw KernelError.unavailable("cannot open SQLite database \(path): \(msg)")
        }
        db = handle
        sqlite3_busy_timeout(handle, SQLiteConnection.busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(handle, 1)
        if !readOnly {
            // Another process opening the same file at this moment may hold the lock the
            // journal-mode switch needs (SQLite does not always wait for it): retry like BEGIN.
            try retryingWhileBusy { _ = try query("PRAGMA journal_mode = WAL", []) }
            try retryingWhileBusy { try exec("PRAGMA synchronous = NORMAL") }
        }
        try exec("PRAGMA foreign_keys = ON")
    }

    func exec(_ sql: String) throws {
        guard let db else { throw KernelError.unavailable("SQLite connection is closed") }
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(err)
            throw SQLiteConnection.error(rc, msg, sql: sql)
        }
    }

    /// Begins a write transaction, retrying while another process holds the write lock.
    func beginImmediate() throws {
        try retryingWhileBusy { try exec("BEGIN IMMEDIATE") }
    }

    /// Runs `body`, again after a growing pause (`busyRetries` times at most) while it fails
    /// because another connection holds a lock. Worker thread only (it sleeps).
    private func retryingWhileBusy(_ body: () throws -> Void) throws {
        var attempt = 0
        while true {
            do {
                try body()
                return
            } catch let e as KernelError where e.kind == .unavailable && e.message.hasPrefix("database is busy")
                && attempt < SQLiteConnection.busyRetries {
                attempt += 1
                usleep(useconds_t(50_000 * attempt))
            }
        }
    }

    func rollbackQuietly() {
        guard let db, sqlite3_get_autocommit(db) == 0 else { return }
        _ = sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        guard let db else { throw KernelError.unavailable("SQLite connection is closed") }
        if let stmt = cache[sql] { return stmt }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw SQLiteConnection.error(rc, String(cString: sqlite3_errmsg(db)), sql: sql) }
        if cache.count >= SQLiteConnection.statementCacheLimit {
            for (_, s) in cache { sqlite3_finalize(s) }
            cache.removeAll()
        }
        cache[sql] = stmt
        return stmt
    }

    func query(_ sql: String, _ params: [SQLValue]) throws -> [SQLRow] {
        guard let db else { throw KernelError.unavailable("SQLite connection is closed") }
        let stmt = try prepare(sql)
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        for (i, p) in params.enumerated() {
            let idx = Int32(i + 1)
            switch p {
            case .null: sqlite3_bind_null(stmt, idx)
            case .int(let v): sqlite3_bind_int64(stmt, idx, v)
            case .double(let d): sqlite3_bind_double(stmt, idx, d)
            case .text(let s): sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT_DESTRUCTOR)
            case .json(let j): sqlite3_bind_text(stmt, idx, j.serialized(), -1, SQLITE_TRANSIENT_DESTRUCTOR)
            }
        }
        var rows: [SQLRow] = []
        let columns = sqlite3_column_count(stmt)
        var busyAttempts = 0
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            if rc == SQLITE_ROW {
                var cells: [SQLCell] = []
                cells.reserveCapacity(Int(columns))
                for c in 0..<columns {
                    switch sqlite3_column_type(stmt, c) {
                    case SQLITE_NULL: cells.append(.null)
                    case SQLITE_INTEGER: cells.append(.int(sqlite3_column_int64(stmt, c)))
                    case SQLITE_FLOAT: cells.append(.double(sqlite3_column_double(stmt, c)))
                    default:
                        if let t = sqlite3_column_text(stmt, c) {
                            cells.append(.text(String(cString: t)))
                        } else {
                            cells.append(.null)
                        }
                    }
                }
                rows.append(SQLRow(cells))
                continue
            }
            if (rc & 0xFF) == SQLITE_BUSY && busyAttempts < SQLiteConnection.busyRetries && rows.isEmpty && sqlite3_get_autocommit(db) != 0 {
                busyAttempts += 1
                sqlite3_reset(stmt)
                usleep(useconds_t(20_000 * busyAttempts))
                continue
            }
            throw SQLiteConnection.error(rc, String(cString: sqlite3_errmsg(db)), sql: sql)
        }
        return rows
    }

    func close() {
        for (_, s) in cache { sqlite3_finalize(s) }
        cache.removeAll()
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    static func error(_ rc: Int32, _ message: String, sql: String) -> KernelError {
        switch rc & 0xFF {
        case SQLITE_CONSTRAINT:
            if rc == SQLITE_CONSTRAINT | (8 << 8) || rc == SQLITE_CONSTRAINT | (6 << 8) { // _UNIQUE, _PRIMARYKEY
                return .conflict("already exists: \(message)")
            }
            return .conflict("constraint failed: \(message)")
        case SQLITE_BUSY, SQLITE_LOCKED:
            // Which statement met the lock (its start only: parameters are never in the text).
            let head = sql.split(whereSeparator: { $0 == "\n" }).first.map { String($0.prefix(60)) } ?? ""
            return .unavailable("database is busy: \(message) (during \(head))")
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY:
            return .unavailable("SQLite: \(message)")
        default:
            return .internal("SQLite error \(rc): \(message)")
        }
    }
}
