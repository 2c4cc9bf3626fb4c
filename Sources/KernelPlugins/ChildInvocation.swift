import KernelCore
import KernelLoop

/// The `mcpk plugin-host` child's side of one relayed `invoke`: every callback
/// but `isCancelled` is a round trip to the kernel over the pipe (the plugin
/// thread blocks for the answer); `isCancelled` is a local flag the kernel flips
/// with `cancel_invoke`.
final class ChildInvocation: InvocationCallbacks, @unchecked Sendable {
    let id: Int64
    let channel: LineChannel
    private let lock = ConditionLock()
    private var cancelled = false
    private var cancelHandlers: [@Sendable () -> Void] = []
    private var nextCallback: Int64 = 1
    private var replies: [Int64: JSON] = [:]

    init(id: Int64, channel: LineChannel) {
        self.id = id
        self.channel = channel
    }

    /// Reading thread: the kernel cancelled the step.
    func cancel() {
        let hs = lock.withLock { () -> [@Sendable () -> Void] in
            cancelled = true
            let h = cancelHandlers
            cancelHandlers = []
            return h
        }
        for h in hs { h() }
    }

    /// Reading thread: the answer to one callback.
    func deliver(_ reply: JSON) {
        guard let n = reply["cb_id"]?.intValue else { return }
        lock.withLock {
            replies[n] = reply
            lock.broadcast()
        }
    }

    /// Sends a callback and blocks until its reply (the child exits with the pipe, so this cannot hang past it).
    private func call(_ body: JSONObject) -> JSON {
        let n = lock.withLock { () -> Int64 in
            let n = nextCallback
            nextCallback += 1
            return n
        }
        var m = body
        m["id"] = .int(id)
        m["cb_id"] = .int(n)
        guard channel.send(.object(m)) else {
            return ["status": .int(Int64(PluginStatus.io.rawValue)), "message": "the kernel is gone"]
        }
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let r = replies.removeValue(forKey: n) { return r }
            lock.wait()
        }
    }

    private static func status(_ r: JSON) -> PluginStatus { PluginStatus(code: Int32(truncatingIfNeeded: r["status"]?.intValue ?? 1)) }

    private static func check(_ r: JSON) throws {
        let st = status(r)
        if st != .ok { throw PluginFailure(status: st, message: r["message"]?.stringValue ?? st.name) }
    }

    func emit(type: String, payload: String) -> PluginStatus {
        if isCancelled() { return .cancelled }
        return ChildInvocation.status(call(JSONObject([("cb", "emit"), ("type", .string(type)), ("payload", .string(payload))])))
    }

    func isCancelled() -> Bool { lock.withLock { cancelled } }

    func query(connection: String, request: QueryRequest) throws -> QueryResult {
        let r = call(JSONObject([("cb", "query"), ("connection", .string(connection)), ("query", request.json)]))
        try ChildInvocation.check(r)
        return QueryResult(json: r["result"] ?? .null)
    }

    func callOp(plugin: String, op: String, args: [JSON]) throws -> JSON {
        let r = call(JSONObject([("cb", "call_op"), ("plugin", .string(plugin)), ("op_name", .string(op)), ("args", .array(args))]))
        try ChildInvocation.check(r)
        return r["result"] ?? .null
    }

    func onCancel(_ body: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            if cancelled { return true }
            cancelHandlers.append(body)
            return false
        }
        if now { body() }
    }
}
