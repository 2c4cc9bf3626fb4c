import Glibc
import KernelCore
import KernelLoop
import KernelPlugins

/// The engine side of one `invoke` (`mcpk_invocation`): called on the step's plugin
/// thread, it hops to the loop for every event, query and op call and blocks the
/// plugin thread until the loop answered (so events arrive in order and a chatty
/// plugin is paced by the loop). `isCancelled` is a lock-protected flag set by the
/// step's cancellation (cancel, timeout, forced unload). After the step was
/// abandoned (a plugin that ignored cancellation past its grace) every event is dropped.
public final class StepInvocationBridge: InvocationCallbacks, @unchecked Sendable {
    /// Event types an in-process executor may emit.
    public enum EventType: String, Sendable { case log, progress, resultPreview = "result_preview", artifact }

    private let lock = ConditionLock()
    private var cancelled = false
    private var abandoned = false
    private var cancelHandlers: [@Sendable () -> Void] = []
    /// The loop task running the plugin's current `query`: cancelling it makes the
    /// connection runtime cancel the statement at the source (mcpk_connector.cancel).
    private var inflightQuery: Task<Void, Never>?
    /// The relay of the plugin's current streamed query: a stop wakes both of its threads.
    private var inflightRelay: RowRelay?
    /// Only touched on the loop.
    nonisolated(unsafe) private let events: StepEventSink
    private let services: PluginStepServices
    private let workDirectory: String
    private let artifactDirectory: String
    private let declaredConnections: Set<String>

    @KernelActor
    init(invocation inv: StepInvocation, events: StepEventSink, services: PluginStepServices) {
        self.events = events
        self.services = services
        workDirectory = inv.workDirectory
        artifactDirectory = inv.artifactDirectory
        declaredConnections = StepInvocationBridge.declaredConnections(inv.config)
    }

    /// `config.connection` and `config.connections[]`.
    public static func declaredConnections(_ config: JSON) -> Set<String> {
        var out = Set(config["connections"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if let c = config["connection"]?.stringValue, !c.isEmpty { out.insert(c) }
        return out
    }

    public func cancel() {
        let (hs, query, relay) = lock.withLock { () -> ([@Sendable () -> Void], Task<Void, Never>?, RowRelay?) in
            cancelled = true
            let h = cancelHandlers
            cancelHandlers = []
            return (h, inflightQuery, inflightRelay)
        }
        query?.cancel()
        relay?.stop()
        for h in hs { h() }
    }

    /// The step ended without the plugin: drop whatever it still sends.
    public func abandon() {
        lock.withLock { abandoned = true }
        cancel()
    }

    /// Runs `body` once the step is cancelled (at once if it already is): a
    /// `process`-isolated invoke forwards it to the plugin-host child.
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            if cancelled { return true }
            cancelHandlers.append(body)
            return false
        }
        if now { body() }
    }

    public func isCancelled() -> Bool { lock.withLock { cancelled } }

    private var isAbandoned: Bool { lock.withLock { abandoned } }

    // MARK: callbacks (plugin thread)

    public func emit(type: String, payload: String) -> PluginStatus {
        if isCancelled() { return .cancelled }
        guard let kind = EventType(rawValue: type),
              let json = try? JSONParser.parse(payload), let o = json.objectValue else { return .invalidArgument }
        switch kind {
        case .log:
            guard o["message"]?.stringValue != nil else { return .invalidArgument }
        case .progress:
            if let f = o["fraction"], f != .null, f.doubleValue == nil { return .invalidArgument }
        case .resultPreview:
            break
        case .artifact:
            guard let name = o["name"]?.stringValue, ArtifactNames.isValid(name), let path = o["path"]?.stringValue,
                  resolveInsideWorkDirectory(path) != nil else { return .invalidArgument }
        }
        let artifactPath = o["path"]?.stringValue.flatMap(resolveInsideWorkDirectory)
        let delivered: PluginStatus = onLoop { [self] in
            guard !self.isAbandoned else { return .cancelled }
            switch kind {
            case .log:
                self.events.log(o["message"]?.stringValue ?? "", stream: o["stream"]?.stringValue ?? "plugin")
            case .progress:
                self.events.progress(o["fraction"]?.doubleValue, message: o["message"]?.stringValue)
            case .resultPreview:
                self.events.resultPreview(json)
            case .artifact:
                // IO: the file could not be kept (too large, disk); the reason is in the step's log.
                guard StepEventForwarding.keepArtifact(name: o["name"]?.stringValue ?? "", path: artifactPath ?? "",
                                                       mime: o["mime"]?.stringValue ?? MIMETypes.mediaType(forPath: o["name"]?.stringValue ?? ""),
                                                       to: self.events, artifactDirectory: self.artifactDirectory) else { return .io }
            }
            return .ok
        }
        return delivered
    }

    public func query(connection: String, request: QueryRequest) throws -> QueryResult {
        if isCancelled() { throw KernelError.conflict("cancelled") }
        guard declaredConnections.contains(connection) else {
            throw KernelError.forbidden("connection '\(connection)' is not declared by the component (config.connection or config.connections)")
        }
        guard let run = services.query else { throw KernelError.unavailable("connections are not available in this kernel") }
        let box = BlockingBox<Result<QueryResult, KernelError>>()
        let task = Task { @KernelActor in
            do { box.put(.success(try await run(connection, request))) } catch let e as KernelError { box.put(.failure(e)) } catch {
                box.put(.failure(.internal("\(error)")))
            }
        }
        // A cancel that came before the task was registered still reaches it.
        if lock.withLock({ () -> Bool in inflightQuery = task; return cancelled }) { task.cancel() }
        let result = box.take()
        lock.withLock { inflightQuery = nil }
        if case .failure = result, isCancelled() { throw KernelError.conflict("cancelled: the query on '\(connection)' was stopped") }
        return try result.get()
    }

    /// Streams through a `RowRelay`: the connection's worker thread produces (blocking while
    /// `RowRelay.capacity` items wait), this plugin thread delivers, so only a bounded window
    /// of the result is ever in memory. Without a streaming service it collects (`query`).
    public func queryStream(connection: String, request: QueryRequest, deliver: (RowRelay.Item) -> Bool) throws {
        if isCancelled() { throw KernelError.conflict("cancelled") }
        guard declaredConnections.contains(connection) else {
            throw KernelError.forbidden("connection '\(connection)' is not declared by the component (config.connection or config.connections)")
        }
        guard let stream = services.stream else {
            let result = try query(connection: connection, request: request)
            guard deliver(.columns(result.columns)) else { return }
            for row in result.rows { guard deliver(.row(row)) else { return } }
            _ = deliver(.end(truncated: result.truncated, rowsAffected: result.rowsAffected))
            return
        }
        let relay = RowRelay(maxRows: request.maxRows)
        let box = BlockingBox<Result<Bool, KernelError>>()
        let task = Task { @KernelActor in
            do {
                try await stream(connection, request, relay)
                box.put(.success(true))
            } catch let e as KernelError { box.put(.failure(e)) } catch { box.put(.failure(.internal("\(error)"))) }
            relay.finishProducing()
        }
        if lock.withLock({ () -> Bool in inflightQuery = task; inflightRelay = relay; return cancelled }) {
            task.cancel()
            relay.stop()
        }
        var refused = false
        while let item = relay.next() {
            if !deliver(item) { refused = true; relay.stop(); break }
        }
        let result = box.take()  // the statement has returned: the connection is free again
        lock.withLock { inflightQuery = nil; inflightRelay = nil }
        if refused { return }  // the plugin's sink stopped it; its status is what counts
        if case .failure = result, isCancelled() { throw KernelError.conflict("cancelled: the query on '\(connection)' was stopped") }
        _ = try result.get()
    }

    public func callOp(plugin: String, op: String, args: [JSON]) throws -> JSON {
        if isCancelled() { throw KernelError.conflict("cancelled") }
        guard let call = services.callOp else { throw KernelError.unavailable("the plugin host is not running") }
        let result: Result<JSON, KernelError> = onLoop {
            do { return .success(try await call(plugin, op, args)) } catch let e as KernelError { return .failure(e) } catch {
                return .failure(.internal("\(error)"))
            }
        }
        return try result.get()
    }

    // MARK: helpers

    /// The real path of `path` (relative paths are relative to the work dir) if it lies inside the work dir.
    func resolveInsideWorkDirectory(_ path: String) -> String? {
        let full = path.hasPrefix("/") ? path : workDirectory + "/" + path
        guard let real = StepInvocationBridge.realPath(full), let root = StepInvocationBridge.realPath(workDirectory) else { return nil }
        return real.hasPrefix(root + "/") ? real : nil
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Runs `body` on the loop and blocks this (plugin) thread until it returns.
    private func onLoop<T: Sendable>(_ body: @escaping @KernelActor @Sendable () async -> T) -> T {
        let box = BlockingBox<T>()
        Task { @KernelActor in box.put(await body()) }
        return box.take()
    }
}

/// One value handed from the loop to a waiting thread.
final class BlockingBox<T: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: T?

    func put(_ v: T) {
        lock.withLock {
            value = v
            lock.broadcast()
        }
    }

    func take() -> T {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let v = value { return v }
            lock.wait()
        }
    }
}
