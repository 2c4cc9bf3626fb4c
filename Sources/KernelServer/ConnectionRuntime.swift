import KernelCore
import KernelLoop
import KernelPlugins
import KernelStore

/// Open connector connections behind the stored connection records: opened
/// on first use with the unsealed secret, reused while the record is
/// unchanged, dropped when their plugin host crashed or the record changed.
@KernelActor
public final class ConnectionRuntime {
    struct Open {
        let connection: PluginConnection
        let updatedAt: Timestamp
    }

    let host: PluginHost
    let store: any Store
    private var open: [EntityID: Open] = [:]
    private var opening: [EntityID: Task<PluginConnection, Error>] = [:]

    init(host: PluginHost, store: any Store) {
        self.host = host
        self.store = store
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

    /// A ready connection for a record (shared; calls on it run one at a time).
    func connection(for record: Connection) async throws -> PluginConnection {
        if let o = open[record.id] {
            if o.updatedAt == record.updatedAt && o.connection.state == .open { return o.connection }
            open[record.id] = nil
            await o.connection.close()
        }
        if let t = opening[record.id] { return try await t.value }
        let task = Task { @KernelActor in try await self.openFresh(record) }
        opening[record.id] = task
        defer { opening[record.id] = nil }
        let c = try await task.value
        open[record.id] = Open(connection: c, updatedAt: record.updatedAt)
        return c
    }

    private func dropIfLost(_ id: EntityID, _ error: Error) async {
        if let e = error as? KernelError, e.kind == .unavailable, let o = open.removeValue(forKey: id) {
            await o.connection.close()
        }
    }

    /// `connection.test`: a fresh connection, a round trip, closed again.
    func test(_ idOrName: String) async throws -> JSON {
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

    /// One statement on a stored connection, its task's cancellation wired to the connector's.
    private func statement<T>(_ idOrName: String,
                              _ body: (PluginConnection, StatementCancellation) async throws -> T) async throws -> T {
        let record = try await store.connection(idOrName)
        let c = try await connection(for: record)
        do {
            try Task.checkCancellation()
            let cancellation = StatementCancellation()
            return try await withTaskCancellationHandler { try await body(c, cancellation) } onCancel: {
                cancellation.cancel()
            }
        } catch is CancellationError {
            throw KernelError.conflict("cancelled before the statement started")
        } catch {
            await dropIfLost(record.id, error)
            throw error
        }
    }

    func scan(_ idOrName: String, depth: Int32, schema: String?, table: String?) async throws -> JSON {
        let record = try await store.connection(idOrName)
        let c = try await connection(for: record)
        do { return try await c.scan(depth: depth, schema: schema, table: table) } catch {
            await dropIfLost(record.id, error)
            throw error
        }
    }

    func closeAll() async {
        let all = open.values.map(\.connection)
        open = [:]
        for c in all { await c.close() }
    }
}
