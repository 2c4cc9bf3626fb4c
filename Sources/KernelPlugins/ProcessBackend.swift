import CKernelSupport
import Glibc
import KernelCore
import KernelLoop

/// `process` isolation, kernel side: a `mcpk plugin-host` child serving the
/// plugin over a socket pair. Several calls may be in flight (each step's
/// `invoke` is one); a reader thread routes every message by request id to the
/// thread waiting for it, including the child's invocation callbacks
/// (`{"id", "cb", "cb_id", …}`), which that thread answers (`cb_reply`).
/// `cancel` / `cancel_invoke` go out of band. When the child dies, the calls in
/// flight and every later call fail with kind `unavailable`, and `onDeath`
/// reports why (exit status or signal).
final class ProcessBackend: PluginBackend, @unchecked Sendable {
    /// Grace between closing the pipe and SIGKILL on shutdown.
    static let shutdownGraceMs = 2_000

    let metadata: PluginMetadata
    let generation: Int
    let pid: pid_t
    let executorCapabilities: (plan: Bool, invoke: Bool)
    private let channel: LineChannel
    private let fd: Int32
    private let stateLock = ConditionLock()
    private var dead = false
    private var deathReason: String?
    private var nextID: Int64 = 1
    private var waiters: [Int64: Waiter] = [:]
    private let reader: WorkerThread
    private let onDeath: @Sendable (String) -> Void

    /// The messages for one request, handed from the reader thread to the caller.
    final class Waiter: @unchecked Sendable {
        private let lock = ConditionLock()
        private var messages: [JSON] = []
        private var failure: String?

        func push(_ m: JSON) { lock.withLock { messages.append(m); lock.broadcast() } }
        func fail(_ reason: String) { lock.withLock { failure = reason; lock.broadcast() } }

        /// The next message, or the reason the child is gone.
        func next() -> Result<JSON, KernelError> {
            lock.lock()
            defer { lock.unlock() }
            while true {
                if !messages.isEmpty { return .success(messages.removeFirst()) }
                if let failure { return .failure(.unavailable(failure)) }
                lock.wait()
            }
        }
    }

    /// Spawns the child and waits for its hello. Blocking.
    static func start(path: String, command: [String], generation: Int,
                      onDeath: @escaping @Sendable (String) -> Void) throws -> ProcessBackend {
        guard let exe = command.first else { throw PluginLoadError.childFailed("no plugin-host command configured") }
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw PluginLoadError.childFailed("socketpair: \(String(cString: strerror(errno)))")
        }
        let parentFD = fds[0], childFD = fds[1]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, childFD, 0)
        posix_spawn_file_actions_adddup2(&actions, childFD, 1)
        // Nothing else of the kernel's crosses: a descriptor some library opened without
        // close-on-exec would otherwise live as long as this child (a peer would then never see
        // that socket or pipe end, e.g. Foundation's exit watch of a process it spawned).
        _ = mcpk_spawn_actions_close_from(&actions, 3)
        let argv = (command + ["--path", path]).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) }; posix_spawn_file_actions_destroy(&actions) }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, environ)
        Glibc.close(childFD)
        guard rc == 0 else {
            Glibc.close(parentFD)
            throw PluginLoadError.childFailed("cannot start \(exe): \(String(cString: strerror(rc)))")
        }
        let channel = LineChannel(readFD: parentFD, writeFD: parentFD)
        let first: JSON?
        do { first = try channel.receive() } catch { first = nil }
        if let hello = first?["hello"] {
            do {
                let meta = try PluginMetadata(json: hello)
                let caps = (hello["executor_plan"]?.boolValue ?? false, hello["executor_invoke"]?.boolValue ?? false)
                return ProcessBackend(metadata: meta, capabilities: caps, generation: generation, pid: pid, channel: channel,
                                      fd: parentFD, onDeath: onDeath)
            } catch {
                ProcessBackend.reap(pid: pid, fd: parentFD)
                throw PluginLoadError.childFailed("plugin host sent malformed metadata")
            }
        }
        let status = ProcessBackend.reap(pid: pid, fd: parentFD)
        if let err = first?["load_error"] { throw PluginLoadError(json: err) }
        throw PluginLoadError.childFailed("plugin host for \(path) \(status) before loading the plugin")
    }

    private init(metadata: PluginMetadata, capabilities: (plan: Bool, invoke: Bool), generation: Int, pid: pid_t,
                 channel: LineChannel, fd: Int32, onDeath: @escaping @Sendable (String) -> Void) {
        self.metadata = metadata
        executorCapabilities = capabilities
        self.generation = generation
        self.pid = pid
        self.channel = channel
        self.fd = fd
        self.onDeath = onDeath
        reader = WorkerThread(name: "mcpk-plugin-host-reader")
        reader.submit { [self] in readLoop() }
        reader.stop()
    }

    /// Routes every message to the waiter of its request id until the pipe ends.
    private func readLoop() {
        while true {
            let message: JSON?
            do { message = try channel.receive() } catch { message = nil }
            guard let message else { break }
            guard let id = message["id"]?.intValue else { continue }
            let w = stateLock.withLock { waiters[id] }
            w?.push(message)
        }
        let stopping = stateLock.withLock { dead }
        let reason = stopping ? (stateLock.withLock { deathReason } ?? "was stopped") : markDead()
        let all = stateLock.withLock { () -> [Waiter] in
            let v = Array(waiters.values)
            waiters = [:]
            return v
        }
        for w in all { w.fail(failureText(reason)) }
    }

    /// Closes our end, waits for exit (SIGKILL after the grace), describes how it ended.
    /// Only for a child no other thread talks to yet (start-up failures).
    @discardableResult
    static func reap(pid: pid_t, fd: Int32) -> String {
        Glibc.close(fd)
        return waitAndDescribe(pid: pid)
    }

    /// Waits for exit (SIGKILL after the grace) and describes how it ended.
    static func waitAndDescribe(pid: pid_t) -> String {
        var status: Int32 = 0
        var waited = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return "ended" }
            if waited >= shutdownGraceMs {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
            waited += 5
        }
        return describe(status: status)
    }

    static func describe(status: Int32) -> String {
        let sig = status & 0x7f
        if sig == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = strsignal(sig).map { String(cString: $0) } ?? "signal"
        return "was killed by signal \(sig) (\(name))"
    }

    var isDead: Bool { stateLock.withLock { dead } }

    /// The child went away on its own: reap it and report why. Reader thread only.
    /// The socket is shut down, not closed: callers on other threads may still
    /// send on it (and fail); the descriptor is released in `deinit`.
    private func markDead() -> String {
        stateLock.withLock { dead = true }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        let reason = ProcessBackend.waitAndDescribe(pid: pid)
        stateLock.withLock { deathReason = reason }
        onDeath(reason)
        return reason
    }

    private func failureText(_ reason: String) -> String {
        "plugin \(metadata.name): plugin host process \(reason); the call was lost"
    }

    private func unavailable(_ reason: String) -> KernelError { KernelError.unavailable(failureText(reason)) }

    /// One request/response exchange; `stream` receives intermediate messages
    /// (row batches, invocation callbacks) on the calling thread, with the id.
    private func request(_ body: JSONObject, started: ((Int64) -> Void)? = nil,
                         stream: ((Int64, JSON) -> Void)? = nil) throws -> JSON {
        let (id, waiter) = try stateLock.withLock { () throws -> (Int64, Waiter) in
            if dead { throw unavailable(deathReason ?? "is gone") }
            let id = nextID
            nextID += 1
            let w = Waiter()
            waiters[id] = w
            return (id, w)
        }
        defer { stateLock.withLock { waiters[id] = nil } }
        started?(id)
        var m = body
        m["id"] = .int(id)
        // A failed send means the child is gone: the reader reports it to the waiter.
        channel.send(.object(m))
        while true {
            let reply = try waiter.next().get()
            if let ok = reply["ok"] { return ok }
            if let e = reply["error"] { throw PluginFailure(json: e) }
            if let e = reply["kernel_error"] {
                let kind = KernelError.Kind(rawValue: e["kind"]?.stringValue ?? "") ?? .internal
                throw KernelError(kind, e["message"]?.stringValue ?? "plugin host error")
            }
            stream?(id, reply)
        }
    }

    private func checkGeneration(_ h: ConnectionHandle) throws {
        if h.generation != generation {
            throw KernelError.unavailable("plugin \(metadata.name): connection was lost when its plugin host restarted")
        }
    }

    func open(config: JSON, secret: String?, connectTimeoutMs: Int64) throws -> ConnectionHandle {
        let r = try request(JSONObject([("op", "open"), ("config", config), ("secret", JSON(secret)),
                                        ("timeout_ms", .int(connectTimeoutMs))]))
        guard let n = r["conn"]?.intValue else { throw KernelError.internal("plugin host returned no connection") }
        return ConnectionHandle(raw: UInt64(n), generation: generation)
    }

    func close(_ h: ConnectionHandle) {
        guard h.generation == generation, !isDead else { return }
        _ = try? request(JSONObject([("op", "close"), ("conn", .int(Int64(h.raw)))]))
    }

    func test(_ h: ConnectionHandle) throws -> String? {
        try checkGeneration(h)
        return try request(JSONObject([("op", "test"), ("conn", .int(Int64(h.raw)))]))["server_version"]?.stringValue
    }

    func execute(_ h: ConnectionHandle, _ q: QueryRequest, sink: RowSink) throws {
        try checkGeneration(h)
        var stopped = false
        let final: JSON
        do {
            final = try request(JSONObject([("op", "execute"), ("conn", .int(Int64(h.raw))), ("query", q.json)]), stream: { _, m in
                if stopped { return }
                if let cols = m["columns"]?.arrayValue {
                    if !sink.columns(cols.map(QueryColumn.init(json:))) { stopped = true }
                } else if let rows = m["rows"]?.arrayValue {
                    for r in rows where !stopped {
                        if !sink.row(r.arrayValue ?? []) { stopped = true }
                    }
                }
                if stopped { self.channel.send(["op": "cancel", "conn": .int(Int64(h.raw))]) }
            })
        } catch let f as PluginFailure where stopped {
            if let c = sink as? RowLimiting, c.stoppedByLimit {
                c.end(truncated: true, rowsAffected: nil)
                return
            }
            throw f
        }
        if let c = sink as? RowLimiting, c.stoppedByLimit {
            c.end(truncated: true, rowsAffected: nil)
            return
        }
        sink.end(truncated: final["truncated"]?.boolValue ?? false, rowsAffected: final["rows_affected"]?.intValue)
    }

    func cancel(_ h: ConnectionHandle) {
        guard h.generation == generation, !isDead else { return }
        channel.send(["op": "cancel", "conn": .int(Int64(h.raw))])
    }

    func scan(_ h: ConnectionHandle, depth: Int32, schema: String?, table: String?) throws -> JSON {
        try checkGeneration(h)
        return try request(JSONObject([("op", "scan"), ("conn", .int(Int64(h.raw))), ("depth", .int(Int64(depth))),
                                       ("schema", JSON(schema)), ("table", JSON(table))]))
    }

    func plan(_ step: ExecutorStep) throws -> JSON {
        try request(JSONObject([("op", "plan"), ("step", step.json)]))
    }

    func finish(_ step: ExecutorStep, outcome: ExecutorOutcome) throws -> JSON? {
        let r = try request(JSONObject([("op", "finish"), ("step", step.json), ("outcome", outcome.json)]))
        guard r["has_finish"]?.boolValue == true else { return nil }
        return r["result"] ?? JSON.null
    }

    /// `invoke` in the child; its callbacks come back here and run on this thread.
    func invoke(_ step: ExecutorStep, callbacks: InvocationCallbacks) throws -> JSON {
        let channel = channel
        let started: (Int64) -> Void = { id in callbacks.onCancel { channel.send(["op": "cancel_invoke", "id": .int(id)]) } }
        return try request(JSONObject([("op", "invoke"), ("step", step.json)]), started: started) { id, m in
            guard let cb = m["cb"]?.stringValue, let cbID = m["cb_id"] else { return }
            var reply = JSONObject([("op", "cb_reply"), ("id", .int(id)), ("cb_id", cbID)])
            for (k, v) in ProcessBackend.answer(cb, m, callbacks: callbacks) { reply[k] = v }
            channel.send(.object(reply))
        }
    }

    /// Runs one relayed invocation callback against the kernel's callbacks.
    static func answer(_ cb: String, _ m: JSON, callbacks: InvocationCallbacks) -> JSONObject {
        func failure(_ error: Error) -> JSONObject {
            switch error {
            case let f as PluginFailure: return JSONObject([("status", .int(Int64(f.status.rawValue))), ("message", .string(f.message))])
            case let e as KernelError:
                return JSONObject([("status", .int(Int64(PluginStatus(kernelError: e).rawValue))), ("message", .string(e.message))])
            default: return JSONObject([("status", .int(Int64(PluginStatus.internal.rawValue))), ("message", .string("\(error)"))])
            }
        }
        switch cb {
        case "emit":
            let st = callbacks.emit(type: m["type"]?.stringValue ?? "", payload: m["payload"]?.stringValue ?? "")
            return JSONObject([("status", .int(Int64(st.rawValue)))])
        case "query":
            do {
                let r = try callbacks.query(connection: m["connection"]?.stringValue ?? "", request: QueryRequest(json: m["query"] ?? .null))
                return JSONObject([("status", .int(0)), ("result", r.json)])
            } catch { return failure(error) }
        case "call_op":
            do {
                let v = try callbacks.callOp(plugin: m["plugin"]?.stringValue ?? "", op: m["op_name"]?.stringValue ?? "",
                                             args: m["args"]?.arrayValue ?? [])
                return JSONObject([("status", .int(0)), ("result", v)])
            } catch { return failure(error) }
        default:
            return JSONObject([("status", .int(Int64(PluginStatus.invalidArgument.rawValue))), ("message", .string("unknown callback \(cb)"))])
        }
    }

    func callOp(_ name: String, args: [JSON]) throws -> JSON {
        try request(JSONObject([("op", "call"), ("name", .string(name)), ("args", .array(args))]))
    }

    func shutdown() {
        let wasDead = stateLock.withLock { () -> Bool in
            let d = dead
            dead = true
            if deathReason == nil { deathReason = "was stopped" }
            return d
        }
        if !wasDead {
            // End the child (it exits on EOF), then let the reader finish before the fd closes.
            Glibc.shutdown(fd, Int32(SHUT_WR))
            ProcessBackend.waitExit(pid: pid)
            Glibc.shutdown(fd, Int32(SHUT_RDWR))
            reader.join()
        } else {
            reader.join()
        }
    }

    /// The descriptor lives exactly as long as this object: while any thread
    /// can still send on it, its number cannot be reused by another open
    /// (a `close` here while a request or cancel is being written would send
    /// that request into whatever file the number belongs to next).
    deinit { Glibc.close(fd) }

    /// Waits for the child to exit, SIGKILL after the grace.
    static func waitExit(pid: pid_t) {
        var status: Int32 = 0
        var waited = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { return }
            if waited >= shutdownGraceMs {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            usleep(5_000)
            waited += 5
        }
    }
}
