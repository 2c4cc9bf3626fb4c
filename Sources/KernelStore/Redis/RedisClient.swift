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
/// A lost connection is not reopened here: `onDisconnect` tells the owner, which reconnects.
@KernelActor
public final class RedisClient {
    /// Explicit life cycle.
    public enum State: String, Sendable { case created, connecting, ready, closed }

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
        guard redisLibuvAttach(ac, KernelRuntime.loop.raw) == REDIS_OK else {
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
        context = nil
        state = .closed
        lastError = error
        Unmanaged.passUnretained(self).release()
        waiter?.resume(throwing: KernelError.unavailable("Redis \(endpoint.redacted): \(error)"))
    }

    private func disconnected(clean: Bool, error: String) {
        context = nil
        state = .closed
        let reason: String? = clean && closing ? nil : (error.isEmpty ? "connection lost" : error)
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
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<RedisReply, Error>) in
            let endpoint = self.endpoint
            do {
                try send(args, persistent: false) { reply in
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

    /// `SUBSCRIBE`s to `channels`; `onMessage(channel, payload)` runs for every message until the
    /// connection ends. A connection that subscribed only takes (P)SUBSCRIBE-family commands after.
    public func subscribe(_ channels: [String], onMessage: @escaping (String, [UInt8]) -> Void) throws {
        try send(["SUBSCRIBE"] + channels, persistent: true) { reply in
            guard case .array(let parts)? = reply, parts.count == 3, parts[0].text == "message",
                  let channel = parts[1].text, case .bulk(let payload) = parts[2] else { return }
            onMessage(channel, payload)
        }
    }

    private func send(_ args: [String], persistent: Bool, _ onReply: @escaping (RedisReply?) -> Void) throws {
        guard state == .ready, let ac = context else {
            throw KernelError.unavailable("Redis \(endpoint.redacted) is not connected (\(state.rawValue))")
        }
        let cb = Callback(persistent: persistent, onReply: onReply)
        let key = ObjectIdentifier(cb)
        callbacks[key] = cb
        let copies = args.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var argv = copies.map { UnsafePointer<CChar>($0) }
        var lengths = args.map { $0.utf8.count }
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
        if rc != REDIS_OK {
            callbacks[key] = nil
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

    public var statusJSON: JSON {
        ["endpoint": .string(endpoint.redacted), "state": .string(state.rawValue), "last_error": lastError.map { .string($0) } ?? .null]
    }
}
