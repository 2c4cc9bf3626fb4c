import KernelCore
import KernelLoop
import KernelPlugins
import KernelStore

/// Open connector connections behind the stored connection records: one
/// `ConnectionPool` per record, opened on first use with the unsealed secret,
/// reused while the record is unchanged, retired when the record changed or its
/// plugin lost its connections (a crashed plugin host).
@KernelActor
public final class ConnectionRuntime {
    /// Connections one record's pool opens at most by default (statements on one record
    /// beyond it wait their turn).
    public nonisolated static let defaultPoolSize = 8
    /// Largest pool size `MCPK_CONNECTION_POOL_SIZE` may set.
    public nonisolated static let maxPoolSize = 64
    /// The setting of the pool size (1…`maxPoolSize`).
    public nonisolated static let poolSizeVariable = "MCPK_CONNECTION_POOL_SIZE"

    let host: PluginHost
    let store: any Store
    let poolSize: Int
    private var pools: [EntityID: ConnectionPool] = [:]

    package init(host: PluginHost, store: any Store, poolSize: Int = ConnectionRuntime.defaultPoolSize) {
        self.host = host
        self.store = store
        self.poolSize = poolSize
    }

    /// `MCPK_CONNECTION_POOL_SIZE` checked (unset or empty: `defaultPoolSize`).
    package nonisolated static func poolSize(_ raw: String?) throws -> Int {
        guard let raw, !raw.isEmpty else { return defaultPoolSize }
        guard let n = Int(raw), (1...maxPoolSize).contains(n) else {
            throw KernelError.invalidParams("\(poolSizeVariable) must be an integer from 1 to \(maxPoolSize) "
                                            + "(ConnectionRuntime.maxPoolSize; got '\(raw)')")
        }
        return n
    }

    /// The plugin config for a record: its config plus `read_only` when the record says so.
    static func pluginConfig(_ record: Connection) -> JSON {
        guard record.readOnly else { return record.config }
        var o = record.config.objectValue ?? JSONObject()
        o["read_only"] = true
        return .object(o)
    }

    private func openFresh(_ record: Connection) async throws -> PluginConnection {
        let secret = try await store.unsealSecret(connectionID: record.id)
        return try await host.connect(plugin: record.plugin, config: ConnectionRuntime.pluginConfig(record), secret: secret)
    }

    /// The record's current pool: a new one when the record changed since (a caller that read
    /// the record before a newer pool opened uses the newer one rather than retiring it).
    private func pool(for record: Connection) -> ConnectionPool {
        if let p = pools[record.id], p.state == .active, p.record == record || record.updatedAt < p.record.updatedAt { return p }
        pools[record.id]?.retire()
        let p = ConnectionPool(record: record, limit: poolSize) { [unowned self] in try await self.openFresh(record) }
        pools[record.id] = p
        return p
    }

    /// A leased connection of the record's pool (give it back with `pool.release`).
    private func lease(_ record: Connection) async throws -> (ConnectionPool, PluginConnection) {
        while true {
            let p = pool(for: record)
            if let c = try await p.acquire() { return (p, c) }
        }
    }

    /// Whether an error means the connection (and its pool's siblings) are gone.
    private static func isLost(_ error: Error) -> Bool {
        (error as? KernelError)?.kind == .unavailable
    }

    /// `connection.test`: a fresh connection, a round trip, closed again.
    package func test(_ idOrName: String) async throws -> JSON {
        let record = try await store.connection(idOrName)
        let t0 = MonotonicClock.wholeMilliseconds()
        do {
            let c = try await openFresh(record)
            defer { Task { await c.close() } }
            let r = try await c.test()
            return ["ok": true, "plugin": .string(record.plugin), "server_version": JSON(r.serverVersion),
                    "latency_ms": .int(MonotonicClock.wholeMilliseconds() - t0)]
        } catch let e as KernelError {
            return ["ok": false, "plugin": .string(record.plugin), "error": e.json,
                    "latency_ms": .int(MonotonicClock.wholeMilliseconds() - t0)]
        }
    }

    /// Runs SQL through a stored connection. Cancelling the calling task cancels the
    /// statement at the source (mcpk_connector.cancel), e.g. a cancelled Data step,
    /// also when the cancel comes before the statement reached the connector.
    public func query(_ idOrName: String, _ request: QueryRequest) async throws -> QueryResult {
        try await statement(idOrName) { c, cancellation in try await c.query(request, cancellation: cancellation) }
    }

    /// Runs a statement on a stored connection streaming into `sink` (on the connection's
    /// thread); a cancelled task stops the statement at the source, as `query` does.
    public func stream(_ idOrName: String, _ request: QueryRequest, into sink: RowRelay) async throws {
        try await statement(idOrName) { c, cancellation in try await c.stream(request, into: sink, cancellation: cancellation) }
    }

    /// One statement on a stored connection (a pooled connection of its own), its task's
    /// cancellation wired to the connector's: while it waits for a connection it stops waiting,
    /// while it runs the statement is stopped at the source.
    private func statement<T>(_ idOrName: String,
                              _ body: (PluginConnection, StatementCancellation) async throws -> T) async throws -> T {
        let record = try await store.connection(idOrName)
        let cancellation = StatementCancellation()
        return try await withTaskCancellationHandler {
            let (pool, c): (ConnectionPool, PluginConnection)
            do { (pool, c) = try await lease(record) } catch is CancellationError {
                throw KernelError.conflict("cancelled before the statement started")
            }
            do {
                try Task.checkCancellation()
                let r = try await body(c, cancellation)
                await pool.release(c)
                return r
            } catch is CancellationError {
                await pool.release(c)
                throw KernelError.conflict("cancelled before the statement started")
            } catch {
                await pool.release(c, discard: ConnectionRuntime.isLost(error))
                throw error
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    package func scan(_ idOrName: String, depth: Int32, schema: String?, table: String?) async throws -> JSON {
        let record = try await store.connection(idOrName)
        let (pool, c) = try await lease(record)
        do {
            let r = try await c.scan(depth: depth, schema: schema, table: table)
            await pool.release(c)
            return r
        } catch {
            await pool.release(c, discard: ConnectionRuntime.isLost(error))
            throw error
        }
    }

    /// Retires a record's pool (it was updated or deleted): idle connections close now, busy
    /// ones when their statement ends; the next statement opens a new pool from the record.
    package func retire(_ id: EntityID) { pools.removeValue(forKey: id)?.retire() }

    /// Closes every pool, or those of one plugin's records (running statements are cancelled).
    package func closeAll(plugin: String? = nil) async {
        let doomed = pools.values.filter { plugin == nil || $0.record.plugin == plugin }
        for p in doomed { pools[p.record.id] = nil }
        for p in doomed { await p.closeAll() }
    }
}
