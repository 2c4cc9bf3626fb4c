import Glibc
import KernelCore
import KernelLoop

/// The child side of `process` isolation: `mcpk plugin-host --path X` loads
/// one plugin and serves the kernel's calls as JSON lines on (fdIn, fdOut).
///
/// Protocol: the child first sends `{"hello": metadata}` or
/// `{"load_error": {reason, message}}`. Requests `{"id", "op", …}` are served
/// in order on a worker thread: the calls on one connection (`test`, `scan`,
/// `execute`, `close` with its `conn`) on that connection's own thread, so
/// statements on different connections run concurrently as they do in-process;
/// `open`, `call`, `plan`, `finish` one at a time on a shared thread. Responses carry the id and end with
/// `{"id", "ok": …}` or `{"id", "error": {status, message, sqlstate}}`.
/// `execute` first streams `{"id","columns"}` and `{"id","rows"}` batches.
/// `{"op":"cancel","conn":N}` is handled at once on the reading thread.
/// Executors: `plan`, `finish` (`{has_finish, result}`) and `invoke`; each
/// `invoke` runs on a thread of its own and sends its callbacks as
/// `{"id", "cb": "emit"|"query"|"call_op", "cb_id", …}`, blocking until the
/// kernel's `{"op":"cb_reply","id","cb_id","status",…}`;
/// `{"op":"cancel_invoke","id"}` flips that invocation's `is_cancelled`.
public enum PluginHostChild {
    /// Rows per `rows` message.
    static let rowBatch = 512

    public static func run(path: String, fdIn: Int32, fdOut: Int32) -> Int32 {
        let channel = LineChannel(readFD: fdIn, writeFD: fdOut)
        let library: PluginLibrary
        do {
            library = try PluginLibrary.load(path: path, context: HostContext(name: "plugin-host"))
        } catch let e as PluginLoadError {
            channel.send(["load_error": e.json])
            return 2
        } catch {
            channel.send(["load_error": PluginLoadError.childFailed("\(error)").json])
            return 2
        }
        var hello = library.metadata.json
        if case .object(var o) = hello {
            o["kinds_mask"] = .int(Int64(library.metadata.kinds.rawValue))
            o["executor_plan"] = .bool(library.executorCanPlan)
            o["executor_invoke"] = .bool(library.executorCanInvoke)
            hello = .object(o)
        }
        channel.send(["hello": hello])
        let state = ChildState(library: library, channel: channel)
        let worker = WorkerThread(name: "plugin-host")
        while true {
            let message: JSON?
            do { message = try channel.receive() } catch { break }
            guard let message else { break }
            switch message["op"]?.stringValue {
            case "cancel":
                if let n = message["conn"]?.intValue, let conn = state.connection(n) { library.cancelConnection(conn) }
            case "cancel_invoke":
                if let id = message["id"]?.intValue { state.invocation(id)?.cancel() }
            case "cb_reply":
                if let id = message["id"]?.intValue { state.invocation(id)?.deliver(message) }
            case "invoke":
                state.startInvoke(message)
            default:
                let (w, last) = state.worker(for: message, shared: worker)
                w.submit { state.serve(message) }
                if last { w.stop() }  // the connection's close is its last call: the thread ends after it
            }
        }
        worker.join()
        state.joinConnectionWorkers()
        state.closeAll()
        library.close()
        return 0
    }
}

final class ChildState: @unchecked Sendable {
    let library: PluginLibrary
    let channel: LineChannel
    private let lock = ConditionLock()
    private var connections: [Int64: OpaquePointer] = [:]
    private var invocations: [Int64: ChildInvocation] = [:]
    /// One thread per open connection: its calls in order, other connections' alongside.
    private var connectionWorkers: [Int64: WorkerThread] = [:]
    private var nextID: Int64 = 1

    init(library: PluginLibrary, channel: LineChannel) {
        self.library = library
        self.channel = channel
    }

    func connection(_ n: Int64) -> OpaquePointer? { lock.withLock { connections[n] } }

    func invocation(_ id: Int64) -> ChildInvocation? { lock.withLock { invocations[id] } }

    /// Where a request runs: a call on connection N on N's thread (created on its first
    /// call; `last` for its `close`, after which the thread is stopped), anything else on `shared`.
    func worker(for m: JSON, shared: WorkerThread) -> (WorkerThread, last: Bool) {
        guard let n = m["conn"]?.intValue, let op = m["op"]?.stringValue,
              ["test", "scan", "execute", "close"].contains(op) else { return (shared, false) }
        return lock.withLock { () -> (WorkerThread, last: Bool) in
            let w = connectionWorkers[n] ?? WorkerThread(name: "plugin-host-conn")
            connectionWorkers[n] = op == "close" ? nil : w
            return (w, op == "close")
        }
    }

    /// Waits for every connection's queued calls (the kernel went away).
    func joinConnectionWorkers() {
        let all = lock.withLock { () -> [WorkerThread] in
            defer { connectionWorkers = [:] }
            return Array(connectionWorkers.values)
        }
        for w in all { w.join() }
    }

    /// Runs one `invoke` on a thread of its own (steps run concurrently).
    func startInvoke(_ m: JSON) {
        guard let n = m["id"]?.intValue else { return }
        let inv = ChildInvocation(id: n, channel: channel)
        lock.withLock { invocations[n] = inv }
        let thread = WorkerThread(name: "plugin-host-invoke")
        thread.submit { [self] in
            serve(m) { try self.library.invoke(ExecutorStep(json: m["step"] ?? .null), callbacks: inv) }
            lock.withLock { invocations[n] = nil }
        }
        thread.stop()
    }

    func closeAll() {
        let all = lock.withLock { () -> [OpaquePointer] in
            let v = Array(connections.values)
            connections = [:]
            return v
        }
        for c in all { library.closeConnection(c) }
    }

    func serve(_ m: JSON, body: (() throws -> JSON)? = nil) {
        let id = m["id"] ?? .null
        do {
            let result = try body?() ?? handle(m, id: id)
            channel.send(["id": id, "ok": result])
        } catch let f as PluginFailure {
            channel.send(["id": id, "error": f.json])
        } catch let e as KernelError {
            channel.send(["id": id, "kernel_error": e.json])
        } catch {
            channel.send(["id": id, "error": PluginFailure(status: .internal, message: "\(error)").json])
        }
    }

    private func conn(_ m: JSON) throws -> OpaquePointer {
        guard let n = m["conn"]?.intValue, let c = connection(n) else {
            throw KernelError.notFound("no such connection in plugin host")
        }
        return c
    }

    private func handle(_ m: JSON, id: JSON) throws -> JSON {
        switch m["op"]?.stringValue ?? "" {
        case "open":
            let c = try library.openConnection(config: m["config"] ?? .object(JSONObject()),
                                               secret: m["secret"]?.stringValue,
                                               connectTimeoutMs: m["timeout_ms"]?.intValue ?? 0)
            let n = lock.withLock { () -> Int64 in
                let n = nextID
                nextID += 1
                connections[n] = c
                return n
            }
            return ["conn": .int(n)]
        case "close":
            if let n = m["conn"]?.intValue {
                let c = lock.withLock { connections.removeValue(forKey: n) }
                if let c { library.closeConnection(c) }
            }
            return .null
        case "test":
            return ["server_version": JSON(try library.testConnection(conn(m)))]
        case "scan":
            return try library.scanConnection(conn(m), depth: Int32(truncatingIfNeeded: m["depth"]?.intValue ?? 3),
                                              schema: m["schema"]?.stringValue, table: m["table"]?.stringValue)
        case "execute":
            let sink = StreamingSink(channel: channel, id: id)
            try library.execute(conn(m), QueryRequest(json: m["query"] ?? .null), sink: sink)
            sink.flush()
            return ["truncated": .bool(sink.truncated), "rows_affected": sink.rowsAffected.map { .int($0) } ?? .null]
        case "call":
            return try library.callOp(m["name"]?.stringValue ?? "", args: m["args"]?.arrayValue ?? [])
        case "plan":
            return try library.plan(ExecutorStep(json: m["step"] ?? .null))
        case "finish":
            let r = try library.finish(ExecutorStep(json: m["step"] ?? .null), outcome: ExecutorOutcome(json: m["outcome"] ?? .null))
            return ["has_finish": .bool(r != nil), "result": r ?? .null]
        default:
            throw KernelError.invalidParams("unknown plugin-host op")
        }
    }
}

/// Streams rows to the kernel in batches.
final class StreamingSink: RowSink {
    let channel: LineChannel
    let id: JSON
    var batch: [JSON] = []
    var truncated = false
    var rowsAffected: Int64?
    var alive = true

    init(channel: LineChannel, id: JSON) {
        self.channel = channel
        self.id = id
    }

    func columns(_ columns: [QueryColumn]) -> Bool {
        alive = channel.send(["id": id, "columns": .array(columns.map(\.json))])
        return alive
    }

    func row(_ cells: [JSON]) -> Bool {
        batch.append(.array(cells))
        if batch.count >= PluginHostChild.rowBatch { flush() }
        return alive
    }

    func end(truncated: Bool, rowsAffected: Int64?) {
        self.truncated = truncated
        self.rowsAffected = rowsAffected
    }

    func flush() {
        if batch.isEmpty { return }
        alive = channel.send(["id": id, "rows": .array(batch)]) && alive
        batch = []
    }
}
