import Glibc
import KernelCore
import KernelLoop

/// `process` isolation, kernel side: a `mcpk plugin-host` child serving the
/// plugin over a socket pair. Calls are serialised; `cancel` goes out of band.
/// When the child dies, the call in flight and every later call fail with
/// kind `unavailable`, and `onDeath` reports why (exit status or signal).
final class ProcessBackend: PluginBackend, @unchecked Sendable {
    /// Grace between closing the pipe and SIGKILL on shutdown.
    static let shutdownGraceMs = 2_000

    let metadata: PluginMetadata
    let generation: Int
    let pid: pid_t
    private let channel: LineChannel
    private let fd: Int32
    private let callLock = ConditionLock()
    private let stateLock = ConditionLock()
    private var dead = false
    private var deathReason: String?
    private var nextID: Int64 = 1
    private let onDeath: @Sendable (String) -> Void

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
                return ProcessBackend(metadata: meta, generation: generation, pid: pid, channel: channel, fd: parentFD, onDeath: onDeath)
            } catch {
                ProcessBackend.reap(pid: pid, fd: parentFD)
                throw PluginLoadError.childFailed("plugin host sent malformed metadata")
            }
        }
        let status = ProcessBackend.reap(pid: pid, fd: parentFD)
        if let err = first?["load_error"] { throw PluginLoadError(json: err) }
        throw PluginLoadError.childFailed("plugin host for \(path) \(status) before loading the plugin")
    }

    private init(metadata: PluginMetadata, generation: Int, pid: pid_t, channel: LineChannel, fd: Int32,
                 onDeath: @escaping @Sendable (String) -> Void) {
        self.metadata = metadata
        self.generation = generation
        self.pid = pid
        self.channel = channel
        self.fd = fd
        self.onDeath = onDeath
    }

    /// Closes our end, waits for exit (SIGKILL after the grace), describes how it ended.
    @discardableResult
    static func reap(pid: pid_t, fd: Int32) -> String {
        Glibc.close(fd)
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

    private func markDead() -> String {
        let already = stateLock.withLock { () -> String? in
            if dead { return deathReason ?? "is gone" }
            dead = true
            return nil
        }
        if let already { return already }
        let reason = ProcessBackend.reap(pid: pid, fd: fd)
        stateLock.withLock { deathReason = reason }
        onDeath(reason)
        return reason
    }

    private func unavailable(_ reason: String) -> KernelError {
        KernelError.unavailable("plugin \(metadata.name): plugin host process \(reason); the call was lost")
    }

    /// One request/response exchange; `stream` receives intermediate messages.
    private func request(_ body: JSONObject, stream: ((JSON) -> Void)? = nil) throws -> JSON {
        try callLock.withLock {
            if let reason = stateLock.withLock({ dead ? (deathReason ?? "is gone") : nil }) { throw unavailable(reason) }
            let id = nextID
            nextID += 1
            var m = body
            m["id"] = .int(id)
            if !channel.send(.object(m)) { throw unavailable(markDead()) }
            while true {
                let reply: JSON?
                do { reply = try channel.receive() } catch { reply = nil }
                guard let reply else { throw unavailable(markDead()) }
                guard reply["id"]?.intValue == id else { continue }
                if let ok = reply["ok"] { return ok }
                if let e = reply["error"] { throw PluginFailure(json: e) }
                if let e = reply["kernel_error"] {
                    let kind = KernelError.Kind(rawValue: e["kind"]?.stringValue ?? "") ?? .internal
                    throw KernelError(kind, e["message"]?.stringValue ?? "plugin host error")
                }
                stream?(reply)
            }
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
            final = try request(JSONObject([("op", "execute"), ("conn", .int(Int64(h.raw))), ("query", q.json)])) { m in
                if stopped { return }
                if let cols = m["columns"]?.arrayValue {
                    if !sink.columns(cols.map(QueryColumn.init(json:))) { stopped = true }
                } else if let rows = m["rows"]?.arrayValue {
                    for r in rows where !stopped {
                        if !sink.row(r.arrayValue ?? []) { stopped = true }
                    }
                }
                if stopped { self.channel.send(["op": "cancel", "conn": .int(Int64(h.raw))]) }
            }
        } catch let f as PluginFailure where stopped {
            if let c = sink as? RowCollector, c.stoppedByLimit {
                c.end(truncated: true, rowsAffected: nil)
                return
            }
            throw f
        }
        if let c = sink as? RowCollector, c.stoppedByLimit {
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

    /// Executor calls are not relayed to the child yet: executor plugins under
    /// `process` isolation are not offered to the engine.
    var executorCapabilities: (plan: Bool, invoke: Bool) { (false, false) }
    func invoke(_ step: InvokeStep, callbacks: InvocationCallbacks) throws -> JSON {
        throw KernelError.unavailable("plugin \(metadata.name) runs in a plugin-host child; invoke is not relayed")
    }

    func callOp(_ name: String, args: [JSON]) throws -> JSON {
        try request(JSONObject([("op", "call"), ("name", .string(name)), ("args", .array(args))]))
    }

    func shutdown() {
        let wasDead = stateLock.withLock { () -> Bool in
            let d = dead
            dead = true
            deathReason = "was stopped"
            return d
        }
        if !wasDead { ProcessBackend.reap(pid: pid, fd: fd) }
    }
}
