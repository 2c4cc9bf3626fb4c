/// Every limit of the HTTP shim, as named constants with their defaults.
/// A running kernel may override some through settings (`MCPK_HTTP_*`, in
/// milliseconds or bytes) — live tests use that to exercise timeouts quickly.
public struct HTTPLimits: Sendable {
    /// Bytes of request line + header names and values of one request (431 beyond).
    public static let defaultMaxHeaderBytes = 32 * 1024
    /// Header lines per request (431 beyond).
    public static let defaultMaxHeaderCount = 100
    /// Request body bytes, after de-chunking (413 beyond).
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024
    /// A keep-alive connection with nothing in progress is closed after this.
    public static let defaultIdleTimeoutMs: UInt64 = 60_000
    /// A request's headers must be complete this long after its first byte (slowloris; 408).
    public static let defaultHeaderTimeoutMs: UInt64 = 10_000
    /// Open HTTP connections at once; more are answered 503 and closed.
    public static let defaultMaxConnections = 1024
    /// Parsed requests queued behind the one in flight (pipelining); reading pauses beyond.
    public static let maxPipelinedRequests = 32
    /// Response bytes a client may leave unread before it is disconnected.
    public static let maxOutboundBytes = 32 * 1024 * 1024
    /// SSE: bytes a stream client may leave unread before it is dropped (it resumes by id).
    public static let defaultSSEQueueBytes = 4 * 1024 * 1024
    /// SSE: a `:` comment is sent after this much idle time.
    public static let defaultSSEHeartbeatMs: UInt64 = 15_000
    /// SSE: the reconnection delay advertised with `retry:`.
    public static let sseRetryMs = 2_000
    /// Listen backlog.
    public static let backlog: Int32 = 511

    public var maxHeaderBytes = defaultMaxHeaderBytes
    public var maxHeaderCount = defaultMaxHeaderCount
    public var maxBodyBytes = defaultMaxBodyBytes
    public var idleTimeoutMs = defaultIdleTimeoutMs
    public var headerTimeoutMs = defaultHeaderTimeoutMs
    public var maxConnections = defaultMaxConnections
    public var sseQueueBytes = defaultSSEQueueBytes
    public var sseHeartbeatMs = defaultSSEHeartbeatMs

    public init() {}

    /// Defaults, overridden by `MCPK_HTTP_MAX_BODY_BYTES`, `MCPK_HTTP_MAX_HEADER_BYTES`,
    /// `MCPK_HTTP_MAX_HEADER_COUNT`, `MCPK_HTTP_IDLE_TIMEOUT_MS`, `MCPK_HTTP_HEADER_TIMEOUT_MS`,
    /// `MCPK_HTTP_MAX_CONNECTIONS`, `MCPK_SSE_QUEUE_BYTES`, `MCPK_SSE_HEARTBEAT_MS` when set to positive integers.
    public init(settings: [String: String]) {
        func int(_ key: String) -> Int? { settings[key].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let v = int("MCPK_HTTP_MAX_BODY_BYTES") { maxBodyBytes = v }
        if let v = int("MCPK_HTTP_MAX_HEADER_BYTES") { maxHeaderBytes = v }
        if let v = int("MCPK_HTTP_MAX_HEADER_COUNT") { maxHeaderCount = v }
        if let v = int("MCPK_HTTP_IDLE_TIMEOUT_MS") { idleTimeoutMs = UInt64(v) }
        if let v = int("MCPK_HTTP_HEADER_TIMEOUT_MS") { headerTimeoutMs = UInt64(v) }
        if let v = int("MCPK_HTTP_MAX_CONNECTIONS") { maxConnections = v }
        if let v = int("MCPK_SSE_QUEUE_BYTES") { sseQueueBytes = v }
        if let v = int("MCPK_SSE_HEARTBEAT_MS") { sseHeartbeatMs = UInt64(v) }
    }
}
