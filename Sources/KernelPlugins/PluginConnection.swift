import Glibc
import KernelCore
import KernelLoop

/// An open connector connection. Its calls run on its own worker thread
/// (in-process) or in the plugin-host child (process); results come back
/// through `await`. `cancel()` may be called from anywhere at any time.
///
/// Busy while a call runs or waits for its turn, or while an owner holds a
/// `reserve()` (a pool's lease); idle otherwise. An unload closes idle
/// connections (`closeIfIdle`) and counts only busy ones.
public final class PluginConnection: @unchecked Sendable {
    /// Connection life cycle (`closing`: no new call is admitted, the handle is being closed).
    public enum State: String, Sendable { case open, closing, closed }

    public let plugin: String
    let backend: PluginBackend
    let handle: ConnectionHandle
    private let worker: WorkerThread
    private let lock = ConditionLock()
    private var _state: State = .open
    /// Calls running or queued plus reservations held.
    private var uses = 0
    private let onClose: @Sendable (PluginConnection) -> Void

    init(plugin: String, backend: PluginBackend, handle: ConnectionHandle, worker: WorkerThread,
         onClose: @escaping @Sendable (PluginConnection) -> Void) {
        self.plugin = plugin
        self.backend = backend
        self.handle = handle
        self.worker = worker
        self.onClose = onClose
    }

    public var state: State { lock.withLock { _state } }

    /// True while a call runs or is queued, or a reservation is held.
    public var isBusy: Bool { lock.withLock { uses > 0 } }

    /// Marks the connection busy for an owner (a pool lease) until `release()`;
    /// false when it is closed already (then nothing is held).
    public func reserve() -> Bool {
        lock.withLock {
            guard _state == .open else { return false }
            uses += 1
            return true
        }
    }

    /// Ends one `reserve()`.
    public func release() { lock.withLock { uses = max(0, uses - 1) } }

    /// Closes the connection if nothing uses it, atomically with respect to new calls
    /// (one that comes later fails as closed). True when it was idle and is now closed.
    public func closeIfIdle() async -> Bool {
        let idle = lock.withLock { () -> Bool in
            guard _state == .open, uses == 0 else { return false }
            _state = .closing
            return true
        }
        guard idle else { return false }
        await finishClose()
        return true
    }

    private func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        let admitted = lock.withLock { () -> Bool in
            guard _state == .open else { return false }
            uses += 1
            return true
        }
        guard admitted else { throw KernelError.conflict("connection to plugin \(plugin) is closed") }
        defer { release() }
        do {
            return try await worker.run(body)
        } catch let f as PluginFailure {
            throw f.kernelError
        }
    }

    /// Round trip: server version (if reported) and latency.
    public func test() async throws -> (serverVersion: String?, latencyMs: Int64) {
        let backend = backend, handle = handle, plugin = plugin
        return try await run {
            let t0 = MonotonicClock.wholeMilliseconds()
            let v = try PluginCallMetrics.measure(plugin, .test) { try backend.test(handle) }
            return (v, MonotonicClock.wholeMilliseconds() - t0)
        }
    }

    /// Runs a statement and collects its result (bounded by max_rows and the host cap).
    /// With `cancellation`, cancelling it stops this statement only: before its turn
    /// it never starts, while it runs the connector is asked until it stops.
    public func query(_ q: QueryRequest, cancellation: StatementCancellation? = nil) async throws -> QueryResult {
        let backend = backend, handle = handle, plugin = plugin
        return try await run {
            try cancellation?.begin { backend.cancel(handle) }
            defer { cancellation?.end() }
            let t0 = MonotonicClock.wholeMilliseconds()
            let c = RowCollector(maxRows: q.maxRows)
            try PluginCallMetrics.measure(plugin, .execute) { try backend.execute(handle, q, sink: c) }
            return c.result(elapsedMs: MonotonicClock.wholeMilliseconds() - t0)
        }
    }

    /// Runs a statement streaming into `sink` on the connection's thread; `cancellation`
    /// as for `query`.
    public func stream(_ q: QueryRequest, into sink: RowSink, cancellation: StatementCancellation? = nil) async throws {
        let backend = backend, handle = handle, plugin = plugin
        nonisolated(unsafe) let s = sink
        try await run {
            try cancellation?.begin { backend.cancel(handle) }
            defer { cancellation?.end() }
            try PluginCallMetrics.measure(plugin, .execute) { try backend.execute(handle, q, sink: s) }
        }
    }

    public func scan(depth: Int32 = 3, schema: String? = nil, table: String? = nil) async throws -> JSON {
        let backend = backend, handle = handle, plugin = plugin
        return try await run {
            try PluginCallMetrics.measure(plugin, .scan) { try backend.scan(handle, depth: depth, schema: schema, table: table) }
        }
    }

    /// Asks the running statement to stop. Any thread.
    public func cancel() {
        if state == .open { backend.cancel(handle) }
    }

    /// Closes the connection (waits for a running call to finish; cancel first to hurry it).
    public func close() async {
        let wasOpen = lock.withLock { () -> Bool in
            let o = _state == .open
            if o { _state = .closing }
            return o
        }
        guard wasOpen else { return }
        await finishClose()
    }

    /// Closes the handle on the connection's thread (after the call running there).
    private func finishClose() async {
        let backend = backend, handle = handle
        _ = try? await worker.run { backend.close(handle) }
        worker.stop()
        lock.withLock { _state = .closed }
        onClose(self)
    }
}
