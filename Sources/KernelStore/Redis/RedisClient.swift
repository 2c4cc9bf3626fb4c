import CHiredis
import CLibUV
import KernelCore
import KernelLoop

/// One Redis connection on the kernel's libuv loop, through Debian's hiredis async API and its
/// libuv adapter (`hiredis/adapters/libuv.h`): no hand-written RESP parser.
///
/// Ownership across the C boundary (also in Sources/CHiredis/shim.h):
/// - the `redisAsyncContext` belongs to hiredis, which frees it after the disconnect callback (or
///   after a failed connect callback); `context` is cleared there and never used afterwards;
/// - while a context exists, the client is retained once (`Unmanaged.passRetained`, balanced in the
///   callback that ends the context), so hiredis never calls back into a freed object;
/// - each command's `privdata` is an unretained pointer to a `Callback` that `callbacks` holds
///   strongly until hiredis is done with it (after its one reply, or for a subscription after the
///   context ends: hiredis calls every outstanding callback with a NULL reply when it goes away);
/// - a `redisReply` is valid only during its callback: `RedisClient.copy` copies it out.
///
/// - hiredis 0.14's libuv adapter ignores libuv's error status (a refused connect, a reset): the
///   shim's `mcpk_redis_libuv_attach` installs the hiredis 1.0 fix of its poll callback, so such a
///   failure reaches the connect or disconnect callback instead of hanging forever;
/// - a connect that neither succeeds nor fails within `connectTimeoutMilliseconds`, and a reply
///   still missing after `replyTimeoutMilliseconds`, end the connection (`redisAsyncFree`): every
///   waiting command fails with `unavailable` instead of waiting for ever.
///
/// A lost connection is not reopened here: `onDisconnect` tells the owner, which reconnects.
@KernelActor
public final class RedisClient {
    /// Explicit life cycle.
    public enum State: String, Sendable { case created, connecting, ready, closed }

    /// Named limits: how long a connect and a reply may take before the connection is given up.
    public static let connectTimeoutMilliseconds: UInt64 = 2_000
    public static let replyTimeoutMilliseconds: UInt64 = 2_000

    final class Callback {
        let persistent: Bool
        let onReply: (RedisReply?) -> Void
        init(persistent: Bool, onReply: @escaping (RedisReply?) -> Void) {
            self.persistent = persistent
            self.onReply = onReply
        }
    }

    public let endpoint: RedisEndpoint
    public private(set) var state: State = .created
    /// Why the connection ended or failed (hiredis's `errstr`), nil after a clean close.
    public private(set) var lastError: String?
    /// Runs once when an established connection ends (nil reason: closed by `close()`).
    public var onDisconnect: (String?) -> Void = { _ in }

    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private var callbacks: [ObjectIdentifier: Callback] = [:]
    private var connectWaiter: CheckedContinuation<Void, Error>?
    private var closing = false
    /// Why this side ended the connection (a timeout), reported instead of hiredis's text.
    private var failure: String?
    /// Send times (uv_hrtime) of the commands still waiting for their reply, oldest first
    /// (replies come in order on a connection that did not subscribe).
    private var sentAt: [(ObjectIdentifier, UInt64)] = []
    private var watchdog: Timer?
    /// The watchdog found the connect, or the reply it names, past its limit on its last tick and
    /// gives the loop one more turn before ending the connection: libuv runs due timers before it
    /// polls for I/O, so after a stall of the whole process a tick would otherwise see the limit
    /// passed while the answer is already waiting in the socket.
    private var overdue: Overdue?
    private enum Overdue: Equatable { case connect, reply(ObjectIdentifier) }
    /// The one callback of every SUBSCRIBE on this connection (`onMessage`).
    private var pubsub: Callback?
    /// Messages of the channels this connection subscribed to: (channel, payload).
    public var onMessage: (String, [UInt8]) -> Void = { _, _ in }

    public init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    /// Opens the connection (then `AUTH` and `SELECT` when the endpoint asks for them).
    public func connect() async throws {
        guard state == .created else { throw KernelError.internal("Redis client already used (\(state.rawValue))") }
        state = .connecting
        guard let ac = redisAsyncConnect(endpoint.host, Int32(endpoint.port)) else {
            state = .closed
            throw KernelError.unavailable("Redis \(endpoint.redacted): out of memory")
        }
        if mcpk_redis_async_err(ac) != 0 {
            let message = String(cString: mcpk_redis_async_errstr(ac))
            redisAsyncFree(ac)
            state = .closed
            lastError = message
            throw KernelError.unavailable("Redis \(endpoint.redacted): \(message)")
        }
        guard mcpk_redis_libuv_attach(ac, KernelRuntime.loop.raw) == REDIS_OK else {
            redisAsyncFree(ac)
            state = .closed
            throw KernelError.internal("Redis: redisLibuvAttach failed")
        }
        context = ac
        mcpk_redis_async_set_data(ac, Unmanaged.passRetained(self).toOpaque())
        redisAsyncSetConnectCallback(ac) { ac, status in
            guard let ac, let data = mcpk_redis_async_data(ac) else { return }
            KernelActor.assumeIsolated {
                Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().connected(ok: status == REDIS_OK,
                                                                                        error: String(cString: mcpk_redis_async_errstr(UnsafeMutablePointer(mutating: ac))))
            }
        }
        redisAsyncSetDisconnectCallback(ac) { ac, status in
            guard let ac, let data = mcpk_redis_async_data(ac) else { return }
            KernelActor.assumeIsolated {
                Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().disconnected(clean: status == REDIS_OK,
                                                                                           error: String(cString: mcpk_redis_async_errstr(UnsafeMutablePointer(mutating: ac))))
            }
        }
        startWatchdog()
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in connectWaiter = c }
        if let password = endpoint.password { try await checked(["AUTH", password]) }
        if endpoint.database != 0 { try await checked(["SELECT", String(endpoint.database)]) }
    }

    private func connected(ok: Bool, error: String) {
        let waiter = connectWaiter
        connectWaiter = nil
        if ok {
            state = .ready
            waiter?.resume()
            return
        }
        // hiredis frees the context after a failed connect without a disconnect callback.
        connectFailed(error.isEmpty ? "connect failed" : error, waiter: waiter)
    }

    private func connectFailed(_ error: String, waiter: CheckedContinuation<Void, Error>?) {
        context = nil
        state = .closed
        lastError = error
        stopWatchdog()
        Unmanaged.passUnretained(self).release()
        waiter?.resume(throwing: KernelError.unavailable("Redis \(endpoint.redacted): \(error)"))
    }

    /// Checks the connect and the oldest reply against their limits (every 250 ms while open).
    private func startWatchdog() {
        guard let t = try? Timer(loop: KernelRuntime.loop) else { return }
        watchdog = t
        let started = uv_hrtime()
        t.start(timeoutMs: 250, repeatMs: 250) { [weak self] in
            guard let self, let ac = self.context else { return }
            let now = uv_hrtime()
            if self.state == .connecting, now - started > RedisClient.connectTimeoutMilliseconds * 1_000_000 {
                guard self.overdue == .connect else { self.overdue = .connect; return }
                let waiter = self.connectWaiter
                self.connectWaiter = nil
                // Not connected: hiredis runs no disconnect callback, so this side ends it.
                redisAsyncFree(ac)
                self.connectFailed("no connection within \(RedisClient.connectTimeoutMilliseconds) ms", waiter: waiter)
            } else if self.state == .ready, let (id, oldest) = self.sentAt.first,
                      now - oldest > RedisClient.replyTimeoutMilliseconds * 1_000_000 {
                guard self.overdue == .reply(id) else { self.overdue = .reply(id); return }
                self.failure = "no reply within \(RedisClient.replyTimeoutMilliseconds) ms"
                // Connected: hiredis fails every waiting callback, then runs the disconnect callback.
                redisAsyncFree(ac)
            }
        }
    }

    private func stopWatchdog() {
        watchdog?.close()
        watchdog = nil
    }

    private func disconnected(clean: Bool, error: String) {
        context = nil
        state = .closed
        stopWatchdog()
        sentAt.removeAll()
        let reason: String? = failure ?? (clean && closing ? nil : (error.isEmpty ? "connection lost" : error))
        lastError = reason
        for cb in callbacks.values { cb.onReply(nil) }
        callbacks.removeAll()
        let notify = onDisconnect
        onDisconnect = { _ in }
        Unmanaged.passUnretained(self).release()
        notify(reason)
    }

    /// Sends one command; the reply comes back as is (an `-ERR` reply is `.error`, not a throw).
    public func command(_ args: [String]) async throws -> RedisReply {
        try await command(bytes: args.map { Array($0.utf8) })
    }

    /// `command` with binary arguments (a value may hold any byte, NUL included).
    public func command(bytes args: [[UInt8]]) async throws -> RedisReply {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<RedisReply, Error>) in
            let endpoint = self.endpoint
            do {
                try send(args, tracked: true, callback: nil) { reply in
                    if let reply { c.resume(returning: reply) } else {
                        c.resume(throwing: KernelError.unavailable("Redis \(endpoint.redacted): connection lost before the reply"))
                    }
                }
            } catch { c.resume(throwing: error) }
        }
    }

    /// Sends a command and throws on an error reply.
    @discardableResult
    public func checked(_ args: [String]) async throws -> RedisReply {
        let reply = try await command(args)
        if case .error(let e) = reply { throw KernelError.unavailable("Redis \(args.first ?? ""): \(e)") }
        return reply
    }

    /// Sends a command whose reply nobody waits for (`PUBLISH`): a lost connection drops it.
    public func send(_ args: [[UInt8]]) throws {
        try send(args, tracked: true, callback: nil) { _ in }
    }

    /// `SUBSCRIBE`s to `channels`: `onMessage(channel, payload)` runs for every message until the
    /// connection ends or `unsubscribe`. A connection that subscribed takes only (UN)SUBSCRIBE after.
    public func subscribe(_ channels: [String]) throws {
        guard !channels.isEmpty else { return }
        let cb = pubsub ?? Callback(persistent: true) { [weak self] reply in
            guard let self, case .array(let parts)? = reply, parts.count == 3, parts[0].text == "message",
                  let channel = parts[1].text, case .bulk(let payload) = parts[2] else { return }
            self.onMessage(channel, payload)
        }
        pubsub = cb
        try send((["SUBSCRIBE"] + channels).map { Array($0.utf8) }, tracked: false, callback: cb) { _ in }
    }

    /// `UNSUBSCRIBE`s from `channels` (hiredis sends no callback of its own for it).
    public func unsubscribe(_ channels: [String]) throws {
        guard !channels.isEmpty, let cb = pubsub else { return }
        try send((["UNSUBSCRIBE"] + channels).map { Array($0.utf8) }, tracked: false, callback: cb) { _ in }
    }

    /// `tracked`: a command with exactly one reply, timed by the watchdog. `callback`: reuse
    /// (the subscriptions' shared one) instead of a new one-reply callback.
    private func send(_ args: [[UInt8]], tracked: Bool, callback: Callback?, _ onReply: @escaping (RedisReply?) -> Void) throws {
        guard state == .ready, let ac = context else {
            throw KernelError.unavailable("Redis \(endpoint.redacted) is not connected (\(state.rawValue))")
        }
        let cb = callback ?? Callback(persistent: false) { [weak self] reply in
            if let self, !self.sentAt.isEmpty { self.sentAt.removeFirst() }
            onReply(reply)
        }
        let key = ObjectIdentifier(cb)
        callbacks[key] = cb
        let copies = args.map { arg -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, arg.count))
            arg.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: b.count) }
            }
            return p
        }
        defer { copies.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer<CChar>($0) }
        var lengths = args.map { $0.count }
        let rc = redisAsyncCommandArgv(ac, { ac, reply, privdata in
            guard let privdata else { return }
            let copied = reply.map { RedisClient.copy($0.assumingMemoryBound(to: redisReply.self)) }
            KernelActor.assumeIsolated {
                let cb = Unmanaged<Callback>.fromOpaque(privdata).takeUnretainedValue()
                if let ac, let data = mcpk_redis_async_data(ac), !cb.persistent {
                    Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().callbacks[ObjectIdentifier(cb)] = nil
                }
                cb.onReply(copied)
            }
        }, Unmanaged.passUnretained(cb).toOpaque(), Int32(args.count), &argv, &lengths)
        if rc == REDIS_OK, tracked, callback == nil { sentAt.append((key, uv_hrtime())) }
        if rc != REDIS_OK {
            if callback == nil { callbacks[key] = nil }
            throw KernelError.unavailable("Redis \(endpoint.redacted): command not sent (\(lastError ?? "context closing"))")
        }
    }

    /// Closes the connection after the replies already asked for.
    public func close() {
        guard let ac = context, !closing else {
            if state == .created { state = .closed }
            return
        }
        closing = true
        if connectWaiter != nil {
            // Still connecting: no disconnect callback will come.
            let waiter = connectWaiter
            connectWaiter = nil
            redisAsyncFree(ac)
            connectFailed("closed while connecting", waiter: waiter)
            lastError = nil
            return
        }
        redisAsyncDisconnect(ac)
    }

    nonisolated static func copy(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let reply = r.pointee
        func bytes() -> [UInt8] {
            guard let s = reply.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: s, count: Int(reply.len)))
        }
        switch reply.type {
        case REDIS_REPLY_STRING: return .bulk(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(reply.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(reply.elements)).map { copy(mcpk_redis_reply_element(r, $0)) })
        default: return .null
        }
    }
}
