import KernelCore
import KernelLoop

/// SQLite backend: WAL, one writer connection on a dedicated `WorkerThread`
/// (write transactions are serialised by an `AsyncMutex`, so the kernel
/// itself never contends for the write lock), and `readerCount` reader connections, each on a
/// thread of its own. Busy timeout plus retries cover other processes.
@KernelActor
public final class SQLiteDatabase: SQLDatabase {
    public nonisolated let dialect: SQLDialect = .sqlite
    public let path: String
    /// Reader connections, each on its own thread (WAL lets them read while the writer writes).
    public nonisolated static let readerCount = 2

    private let writerThread: WorkerThread
    private let writer: SQLiteConnection
    private let readers: [(thread: WorkerThread, connection: SQLiteConnection)]
    private var nextReader = 0
    private let writeLock = AsyncMutex()
    private var closed = false

    /// Opens (creating if needed) the database file.
    public static func open(path: String) async throws -> SQLiteDatabase {
        let writerThread = WorkerThread(name: "sqlite-writer")
        let readerThreads = (0..<readerCount).map { WorkerThread(name: "sqlite-reader-\($0)") }
        do {
            // The writer first: it creates the file and switches it to WAL.
            let writer = try await writerThread.run { try SQLiteConnection(path: path, readOnly: false) }
            var readers: [(thread: WorkerThread, connection: SQLiteConnection)] = []
            for t in readerThreads {
                readers.append((t, try await t.run { try SQLiteConnection(path: path, readOnly: false) }))
            }
            return SQLiteDatabase(path: path, writerThread: writerThread, writer: writer, readers: readers)
        } catch {
            writerThread.stop()
            for t in readerThreads { t.stop() }
            throw error
        }
    }

    private init(path: String, writerThread: WorkerThread, writer: SQLiteConnection,
                 readers: [(thread: WorkerThread, connection: SQLiteConnection)]) {
        self.path = path
        self.writerThread = writerThread
        self.writer = writer
        self.readers = readers
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
        try await withWriter { w in
            try await self.writerThread.run { try w.beginImmediate() }
            do {
                let result = try await body(Executor(connection: w, thread: self.writerThread))
                try await self.writerThread.run { try w.exec("COMMIT") }
                return result
            } catch {
                try? await self.writerThread.run { w.rollbackQuietly() }
                throw error
            }
        }
    }

    /// The writer connection, held exclusively (in this process) for `body`; timed as a write.
    private func withWriter<T>(_ body: @KernelActor (SQLiteConnection) async throws -> T) async throws -> T {
        let started = MonotonicClock.seconds()
        defer { StoreMetrics.observe(.write, since: started) }
        guard !closed else { throw KernelError.unavailable("store is closed") }
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await body(writer)
    }

    public func read<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        let started = MonotonicClock.seconds()
        defer { StoreMetrics.observe(.read, since: started) }
        guard !closed, !readers.isEmpty else { throw KernelError.unavailable("store is closed") }
        let r = readers[nextReader % readers.count]
        nextReader &+= 1
        return try await body(Executor(connection: r.connection, thread: r.thread))
    }

    /// Applies the missing migrations in one transaction that runs as ONE job on the writer
    /// thread: the file's write lock is held for the statements only, never across hops back to
    /// the loop. Another process opening the same file waits on that lock (busy timeout), so a
    /// transaction that hopped per statement could hold it past that timeout on a loaded machine.
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        let pending = migrations.sorted(by: { $0.version < $1.version }).map { ($0.version, $0.name, $0.sql(for: .sqlite)) }
        return try await withWriter { w in try await self.writerThread.run {
            try w.beginImmediate()
            do {
                _ = try w.query(Migration.bookkeeping, [])
                let done = Set(try w.query("SELECT version FROM schema_migrations", []).map { Int($0.int(0)) })
                var applied: [Int] = []
                for (version, name, statements) in pending where !done.contains(version) {
                    for sql in statements { _ = try w.query(sql, []) }
                    _ = try w.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                    [.int(Int64(version)), .text(name), .time(.now())])
                    applied.append(version)
                }
                try w.exec("COMMIT")
                return applied
            } catch {
                w.rollbackQuietly()
                throw error
            }
        } }
    }

    public func close() async {
        guard !closed else { return }
        closed = true
        await writeLock.lock()
        let w = writer
        _ = try? await writerThread.run { w.close() }
        writerThread.stop()
        for r in readers {
            let c = r.connection
            _ = try? await r.thread.run { c.close() }
            r.thread.stop()
        }
        writeLock.unlock()
    }
}
