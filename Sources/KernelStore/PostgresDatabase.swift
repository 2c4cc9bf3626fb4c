import KernelCore
import KernelLoop

/// PostgreSQL backend: a small pool of non-blocking `PostgresConnection`s
/// with a FIFO request queue. A lost connection fails the requests on it
/// with `unavailable` (their transactions roll back server-side, so nothing
/// is half-written) and is replaced on the next request; reconnecting after
/// a failed attempt waits an exponential backoff.
@KernelActor
public final class PostgresDatabase: SQLDatabase {
    public nonisolated static let defaultPoolSize = 4
    static let minBackoffMilliseconds: UInt64 = 100
    static let maxBackoffMilliseconds: UInt64 = 5_000
    /// Attempts of a transaction that hit a deadlock or serialization failure.
    static let maxTransactionAttempts = 3
    /// Lock id of `pg_advisory_xact_lock` around migrations ("mcpk").
    static let migrationLockID: Int64 = 0x6D63_706B

    public nonisolated let dialect: SQLDialect = .postgres
    public let conninfo: String
    public let poolSize: Int
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<PostgresConnection, Error>] = []
    private var backoff: UInt64 = 0
    private var nextConnectAt: UInt64 = 0
    private var closed = false
    /// Counters for `dashboard.health` and tests.
    public private(set) var reconnects = 0
    public private(set) var connectFailures = 0

    /// Resolves host names off the loop before each new connection.
    private let resolver = WorkerThread(name: "pg-resolve")

    public init(conninfo: String, poolSize: Int = PostgresDatabase.defaultPoolSize) {
        self.conninfo = conninfo
        self.poolSize = max(1, poolSize)
    }

    // MARK: pool

    func acquire() async throws -> PostgresConnection {
        guard !closed else { throw KernelError.unavailable("store is closed") }
        while let c = idle.popLast() {
            if c.isAlive { return c }
            open -= 1
        }
        if open < poolSize { return try await connectNew() }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func connectNew() async throws -> PostgresConnection {
        let now = KernelRuntime.loop.now
        if now < nextConnectAt {
            throw KernelError.unavailable("PostgreSQL is unreachable; reconnecting in \(nextConnectAt - now) ms")
        }
        open += 1
        do {
            let params = try await PostgresConnectParams.parse(conninfo).resolved(on: resolver)
            let c = try await PostgresConnection.connect(params)
            if backoff > 0 { reconnects += 1 }
            backoff = 0
            nextConnectAt = 0
            return c
        } catch {
            open -= 1
            connectFailures += 1
            backoff = backoff == 0 ? PostgresDatabase.minBackoffMilliseconds : min(backoff * 2, PostgresDatabase.maxBackoffMilliseconds)
            nextConnectAt = KernelRuntime.loop.now + backoff
            failWaitersIfNoConnections(error)
            throw error
        }
    }

    private func failWaitersIfNoConnections(_ error: Error) {
        guard open == 0 else { return }
        let w = waiters
        waiters = []
        for c in w { c.resume(throwing: error) }
    }

    func release(_ c: PostgresConnection) {
        if closed || c.state != .idle {
            c.close()
            open -= 1
            if closed { return }
            if !waiters.isEmpty {
                let w = waiters.removeFirst()
                Task { @KernelActor in
                    do { w.resume(returning: try await self.connectNew()) } catch { w.resume(throwing: error) }
                }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: c)
        } else {
            idle.append(c)
        }
    }

    /// Statements on one pooled connection (`?` rewritten to `$n`).
    final class Executor: SQLExecutor {
        nonisolated let dialect: SQLDialect = .postgres
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
        func query(_ sql: String, _ params: [SQLValue]) async throws -> [SQLRow] {
            try await connection.query(SQLDialect.postgres.placeholders(sql), params)
        }
    }

    // MARK: SQLDatabase

    public func write<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        let started = MonotonicClock.seconds()
        defer { StoreMetrics.observe(.write, since: started) }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await transaction(body)
            } catch let e as KernelError where e.kind == .unavailable && e.errors.first?.path == "sqlstate"
                && attempt < PostgresDatabase.maxTransactionAttempts {
                continue
            }
        }
    }

    private func transaction<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        let c = try await acquire()
        defer { release(c) }
        _ = try await c.query("BEGIN", [])
        do {
            let result = try await body(Executor(c))
            _ = try await c.query("COMMIT", [])
            return result
        } catch {
            if c.state == .idle { _ = try? await c.query("ROLLBACK", []) }
            throw error
        }
    }

    public func read<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T {
        let started = MonotonicClock.seconds()
        defer { StoreMetrics.observe(.read, since: started) }
        let c = try await acquire()
        defer { release(c) }
        return try await body(Executor(c))
    }

    /// Applies migrations inside one transaction holding `pg_advisory_xact_lock`,
    /// so two kernels starting at once apply each migration exactly once.
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        try await write { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock(?)", [.int(PostgresDatabase.migrationLockID)])
            try await tx.execute(Migration.bookkeeping)
            let done = Set(try await tx.query("SELECT version FROM schema_migrations").map { Int($0.int(0)) })
            var applied: [Int] = []
            for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
                for sql in m.sql(for: .postgres) { try await tx.execute(sql) }
                try await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                     [.int(Int64(m.version)), .text(m.name), .time(.now())])
                applied.append(m.version)
            }
            return applied
        }
    }

    public func close() async {
        closed = true
        resolver.stop()
        for c in idle { c.close() }
        open -= idle.count
        idle = []
        let w = waiters
        waiters = []
        for c in w { c.resume(throwing: KernelError.unavailable("store is closed")) }
    }

    /// Backend pids of idle pooled connections (tests terminate them).
    public var idleBackendPIDs: [Int32] { idle.map(\.backendPID) }
    public var openConnections: Int { open }
}
