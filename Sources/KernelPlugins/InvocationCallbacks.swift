import KernelCore

/// The Swift side of one `mcpk_invocation` (include/mcpk/plugin.h): what an
/// executor's `invoke` reaches while it runs on its plugin thread. Every method
/// except `isCancelled` is called only from that thread and may block it (the
/// engine hops to the loop and waits); `isCancelled` is callable from any thread.
public protocol InvocationCallbacks: AnyObject, Sendable {
    /// A run event: "log", "progress", "result_preview" or "artifact" with a JSON
    /// object payload. Returns OK, INVALID_ARGUMENT (unknown type, bad JSON) or
    /// CANCELLED (the step was stopped).
    func emit(type: String, payload: String) -> PluginStatus
    func isCancelled() -> Bool
    /// Runs SQL through a connection the component declares; the collected result
    /// (at most `request.maxRows` rows). Throws `KernelError` (forbidden for an
    /// undeclared connection) or `PluginFailure` (the connector's own status).
    func query(connection: String, request: QueryRequest) throws -> QueryResult
    /// Runs SQL like `query` but hands the result over item by item (columns, rows, end) to
    /// `deliver` on the calling thread as it arrives; `deliver` returning false stops the
    /// statement. The default collects with `query` and replays (a `process`-isolated invoke,
    /// whose calls cross a pipe); the engine's bridge streams through a `RowRelay`.
    func queryStream(connection: String, request: QueryRequest, deliver: (RowRelay.Item) -> Bool) throws
    /// Calls an extra operation of a loaded plugin (`plugin.call`).
    func callOp(plugin: String, op: String, args: [JSON]) throws -> JSON
    /// Runs `body` (any thread) once the step is cancelled; at once if it already is.
    /// How a `process`-isolated invoke learns to flip the child's flag.
    func onCancel(_ body: @escaping @Sendable () -> Void)
}

extension InvocationCallbacks {
    public func queryStream(connection: String, request: QueryRequest, deliver: (RowRelay.Item) -> Bool) throws {
        let result = try query(connection: connection, request: request)
        guard deliver(.columns(result.columns)) else { return }
        for row in result.rows { guard deliver(.row(row)) else { return } }
        _ = deliver(.end(truncated: result.truncated, rowsAffected: result.rowsAffected))
    }
}

extension PluginStatus {
    /// The status a host callback returns for a kernel error.
    public init(kernelError e: KernelError) {
        switch e.kind {
        case .notFound: self = .notFound
        case .invalidParams: self = .invalidArgument
        case .conflict: self = e.message.contains("cancel") ? .cancelled : .invalidState
        case .unavailable: self = .io
        case .forbidden: self = .forbidden
        case .internal: self = .internal
        }
    }
}
