import KernelCore
import KernelLoop
import KernelPlugins
import KernelServices

extension Kernel {
    /// Largest `max_rows` a `connection.query` may ask for.
    public static let maxQueryRows: Int64 = ConnectorLimits.maxCollectedRows
    /// Longest `timeout_ms` a `connection.query` may ask for (1 hour).
    public static let maxQueryTimeoutMs: Int64 = 3_600_000

    /// `connection.test|scan|query`, through the connection's connector plugin.
    func registerConnectionRuntimeMethods() {
        dispatcher.register("connection.test", summary: "Opens the connection and does a round trip: ok + server version + latency, or the driver's error.",
                            params: ["type": "object", "required": ["id"], "properties": ["id": ["type": "string"]]]) { [unowned self] params, _ in
            try await self.requireConnectionRuntime().test(try params.string("id"))
        }
        dispatcher.register("connection.scan", summary: "Schemas → tables/views → columns and constraints (primary, foreign, unique).",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"],
                                "depth": ["type": "integer", "minimum": 1, "maximum": 3, "description": "1 schemas, 2 tables, 3 columns (default)"],
                                "schema": ["type": "string"], "table": ["type": "string"]], "additionalProperties": false]) { [unowned self] params, _ in
            // Bounds are the params schema's (checked by the dispatcher before this runs).
            let depth = try params.optionalInt("depth") ?? 3
            return try await self.requireConnectionRuntime().scan(try params.string("id"), depth: Int32(depth),
                                                                  schema: try params.optionalString("schema"),
                                                                  table: try params.optionalString("table"))
        }
        dispatcher.register("connection.query", summary: "Runs SQL (source dialect, positional params) → columns, rows, truncated, elapsed_ms.",
                            params: ["type": "object", "required": ["id", "sql"], "properties": [
                                "id": ["type": "string"], "sql": ["type": "string", "minLength": 1], "params": ["type": "array"],
                                "max_rows": ["type": "integer", "minimum": 0, "maximum": .int(Kernel.maxQueryRows)],
                                "timeout_ms": ["type": "integer", "minimum": 0, "maximum": .int(Kernel.maxQueryTimeoutMs)],
                                "request_id": ["type": "string", "description": "names the query for connection.cancel"]],
                                     "additionalProperties": false]) { [unowned self] params, _ in
            // Bounds (sql non-empty, max_rows, timeout_ms) are the params schema's, checked before this runs.
            let sql = try params.string("sql")
            let maxRows = Int64(try params.optionalInt("max_rows") ?? Int(ConnectorLimits.defaultMaxRows))
            let timeout = Int64(try params.optionalInt("timeout_ms") ?? 0)
            let request = QueryRequest(sql: sql, params: try params.optionalArray("params") ?? [], maxRows: maxRows, timeoutMs: timeout)
            let runtime = try self.requireConnectionRuntime()
            let id = try params.string("id")
            let requestID = try params.optionalString("request_id")
            if let requestID, self.runningQueries.contains(requestID) {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("request_id", "a query named '\(requestID)' is already running")])
            }
            // Its own task: connection.cancel cancels it, and the connection runtime turns that
            // into mcpk_connector.cancel at the source. So does the cancellation of this call's
            // task: its transport cancels it when the client is gone (socket closed, HTTP
            // connection closed mid-request).
            let task = Task { @KernelActor in try await runtime.query(id, request) }
            let name = requestID ?? Identifier.uuid()
            self.runningQueries.add(name, task)
            defer { self.runningQueries.remove(name) }
            return try await withTaskCancellationHandler { try await task.value.json } onCancel: {
                Metrics.queriesCancelled.increment(["reason": "client_gone"])
                task.cancel()
            }
        }
        dispatcher.register("connection.cancel", summary: "Cancels a running connection.query by its request_id (the statement stops at the source).",
                            params: ["type": "object", "required": ["request_id"], "properties": ["request_id": ["type": "string"]]]) { [unowned self] params, _ in
            let cancelled = self.runningQueries.cancel(try params.string("request_id"))
            if cancelled { Metrics.queriesCancelled.increment(["reason": "request"]) }
            return ["cancelled": .bool(cancelled)]
        }
    }
}
