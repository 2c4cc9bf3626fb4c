import KernelCore
import KernelLoop

/// SQLite backend: WAL, one writer connection on a dedicated `WorkerThread`
/// (write transactions are serialised by an `AsyncMutex`, so the kernel
/// itself never contends for the write lock), and a reader connection on a
/// second thread. Busy timeout plus retries cover other processes.
@KernelActor
public final class SQLiteDatabase: SQLDatabase {
    public nonisolated let dialect: SQLDialect = .sqlite
    public let path: String
    private let writerThread: WorkerThread
    private let readerThread: WorkerThread
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let writeLock = AsyncMutex()
    private var closed = false

    /// Opens (creating if needed) the database file.
    public static func open(path: String) async throws -> SQLiteDatabase {
        let writerThread = WorkerThread(name: "sqlite-writer")
        let readerThread = WorkerThread(name: "sqlite-reader")
        do {
            let writer = try await writerThread.run { try SQLiteConnection(path: path, readOnly: false) }
            let reader = try await readerThread.run { try SQLiteConnection(path: path, readOnly: false) }
            return SQLiteDatabase(path: path, writerThread: writerThread, readerThread: readerThread, writer: writer, reader: reader)
        } catch {
            writerThread.join()
            readerThread.join()
            throw error
        }
    }

    private init(path: String, writerThread: WorkerThread, readerThread: WorkerThread, writer: SQLiteConnection, reader: SQLiteConnection) {
        self.path = path
        self.writerThread = writerThread
        self.readerThread = readerThread
        self.writer = writer
        self.reader = reader
    }

    /// Statements of one write transaction, each run on the writer thread.
    final class Executor: SQLExecutor {
        nonisolated let dialect: SQLDialect = .sqlite
        let connection: SQLiteConnection
        let thread: WorkerThread
        init(connection: SQLiteConnection, thread: WorkerThread) { self.connection = connection; self.thread = thread }
        func query(_ sql: String, _ params: [SQLValue]) async throws -> [SQLRow] {
            let c = connection
            return try await thread.run { try c.query(sql, params) }
        }
    }

    public func write<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        guard !closed else { throw KernelError.unavailable("store is closed") }
        await writeLock.lock()
        defer { writeLock.unlock() }
        let w = writer
        try await writerThread.run { try w.beginImmediate() }
        do {
            let result = try await body(Executor(connection: w, thread: writerThread))
            try await writerThread.run { try w.exec("COMMIT") }
            return result
        } catch {
            try? await writerThread.run { w.rollbackQuietly() }
            throw error
        }
    }

    public func read<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        guard !closed else { throw KernelError.unavailable("store is closed") }
        return try await body(Executor(connection: reader, thread: readerThread))
    }

    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        try await write { tx in
            try await tx.execute(Migration.bookkeeping)
            let done = Set(try await tx.query("SELECT version FROM schema_migrations").map { Int($0.int(0)) })
            var applied: [Int] = []
            for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
                for sql in m.sql(for: .sqlite) { try await tx.execute(sql) }
                try await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                     [.int(Int64(m.version)), .text(m.name), .time(.now())])
                applied.append(m.version)
            }
            return applied
        }
    }

    public func close() async {
        guard !closed else { return }
        closed = true
        await writeLock.lock()
        let w = writer, r = reader
        _ = try? await writerThread.run { w.close() }
        _ = try? await readerThread.run { r.close() }
        writerThread.stop()
        readerThread.stop()
        writeLock.unlock()
    }
}
