/// The kernel's standard metric families, declared once in the shared
/// registry. Every module increments these handles; `/metrics` renders them.
///
/// Label conventions: `status` is a RunStatus/StepStatus raw value, `type` a
/// ComponentType raw value, `transport` is `socket` or `http`.
public enum Metrics {
    public static var registry: MetricsRegistry { MetricsRegistry.shared }

    /// Runs that reached a status (incremented on every transition).
    public static let runs = MetricsRegistry.shared.counter(
        "mcpk_runs_total", help: "Workflow runs that entered a status.", labels: ["status"])
    /// Runs currently in a status (set by the engine; e.g. running, queued).
    public static let runsActive = MetricsRegistry.shared.gauge(
        "mcpk_runs_active", help: "Workflow runs currently in a non-terminal status.", labels: ["status"])
    /// Steps that reached a status, by component type.
    public static let steps = MetricsRegistry.shared.counter(
        "mcpk_steps_total", help: "Step runs that entered a status, by component type.", labels: ["status", "type"])
    /// Duration of finished steps in seconds.
    public static let stepDuration = MetricsRegistry.shared.histogram(
        "mcpk_step_duration_seconds", help: "Wall-clock duration of finished step attempts.",
        labels: ["type"], buckets: MetricsHistogram.longBuckets)
    /// Connected SSE clients.
    public static let sseClients = MetricsRegistry.shared.gauge(
        "mcpk_sse_clients", help: "Connected SSE clients.", labels: ["stream"])
    /// SSE clients disconnected because their queue overflowed.
    public static let sseDropped = MetricsRegistry.shared.counter(
        "mcpk_sse_dropped_total", help: "SSE clients dropped because their send queue overflowed.")
    /// Open transport connections.
    public static let connections = MetricsRegistry.shared.gauge(
        "mcpk_connections", help: "Open client connections by transport.", labels: ["transport"])
    /// HTTP requests by route pattern, method and status code.
    public static let httpRequests = MetricsRegistry.shared.counter(
        "mcpk_http_requests_total", help: "HTTP requests by route pattern, method and status.",
        labels: ["route", "method", "status"])
    /// HTTP request handling time (until the response is queued).
    public static let httpDuration = MetricsRegistry.shared.histogram(
        "mcpk_http_request_duration_seconds", help: "HTTP request handling time.", labels: ["route"])
    /// Control method calls by method and outcome (`ok` or an error kind).
    public static let methodCalls = MetricsRegistry.shared.counter(
        "mcpk_method_calls_total", help: "Control method calls by method and outcome.", labels: ["method", "outcome"])
    /// Store operation latency.
    public static let storeLatency = MetricsRegistry.shared.histogram(
        "mcpk_store_latency_seconds", help: "Store operation latency.", labels: ["operation"])
    /// Plugin calls and failures.
    public static let pluginCalls = MetricsRegistry.shared.counter(
        "mcpk_plugin_calls_total", help: "Plugin calls by plugin and operation.", labels: ["plugin", "operation"])
    public static let pluginFailures = MetricsRegistry.shared.counter(
        "mcpk_plugin_failures_total", help: "Failed plugin calls by plugin and operation.", labels: ["plugin", "operation"])
    /// Connector connections of each stored connection's pool (`ConnectionPool`), by state (`busy`, `idle`).
    public static let connectionPool = MetricsRegistry.shared.gauge(
        "mcpk_connection_pool_connections", help: "Open connector connections of each stored connection's pool, by state (busy, idle).",
        labels: ["connection", "state"])
    /// Statements of `connection.query` stopped at the source, by why (`request`: connection.cancel,
    /// `client_gone`: the caller's socket or HTTP connection closed).
    public static let queriesCancelled = MetricsRegistry.shared.counter(
        "mcpk_queries_cancelled_total", help: "connection.query statements cancelled, by reason (request, client_gone).", labels: ["reason"])
    /// Sandboxed process spawns by outcome (`ok`, `failed`).
    public static let sandboxSpawns = MetricsRegistry.shared.counter(
        "mcpk_sandbox_spawns_total", help: "Sandboxed step attempts by outcome: ok (cold spawn), warm (fork of a warm runner), failed.", labels: ["outcome"])

    /// Touches every family so that `/metrics` lists all of them even before
    /// the first increment. Called by the kernel at start-up.
    public static func declareAll() {
        _ = (runs, runsActive, steps, stepDuration, sseClients, sseDropped, connections, httpRequests,
             httpDuration, methodCalls, storeLatency, pluginCalls, pluginFailures, connectionPool, queriesCancelled, sandboxSpawns)
    }
}
