import CLibUV
import KernelCore
import KernelLoop

/// The kernel's optional Redis (issue 14): two `RedisClient` connections on the loop — one for
/// commands (`PUBLISH`, the step result cache), one that only `SUBSCRIBE`s (hiredis takes no
/// other command on a subscribed connection). When either is lost both are closed, `onLost` runs
/// (the owner falls back to PostgreSQL NOTIFY) and both are reopened with backoff
/// (`minBackoffMilliseconds` doubling to `maxBackoffMilliseconds`); after a reconnect the wanted
/// channels are subscribed again and `onConnected` runs (the owner re-reads what it may have missed).
@KernelActor
public final class RedisService {
    /// Explicit life cycle. `connected`: both connections ready; `connecting`: (re)connecting, the
    /// kernel runs on its fallback meanwhile.
    public enum State: String, Sendable { case created, connecting, connected, stopped }

    public static let minBackoffMilliseconds: UInt64 = 100
    public static let maxBackoffMilliseconds: UInt64 = 5_000

    public let endpoint: RedisEndpoint
    public private(set) var state: State = .created
    /// Connections opened after the first (lost and reopened).
    public private(set) var reconnects = 0
    /// Times Redis went away after being connected (each began a fallback period).
    public private(set) var losses = 0
    public private(set) var lastError: String?
    public private(set) var lastErrorAt: Timestamp?
    public private(set) var published = 0
    public private(set) var received = 0
    /// Channels the owner wants, subscribed again after every reconnect.
    public private(set) var channels: Set<String> = []
    public var onMessage: (String, [UInt8]) -> Void = { _, _ in }
    public var onConnected: () -> Void = {}
    public var onLost: () -> Void = {}

    private var commands: RedisClient?
    private var subscriber: RedisClient?
    private var lostWaiter: CheckedContinuation<Void, Never>?
    private var sleepTimer: Timer?
    private var sleepWaiter: CheckedContinuation<Void, Never>?

    public init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    public var isConnected: Bool { state == .connected }

    public func start() {
        guard state == .created else { return }
        state = .connecting
        Task { @KernelActor in await self.serve() }
    }

    private func serve() async {
        var backoff = RedisService.minBackoffMilliseconds
        var first = true
        while state != .stopped {
            let c = RedisClient(endpoint: endpoint), s = RedisClient(endpoint: endpoint)
            commands = c
            subscriber = s
            do {
                try await c.connect()
                try await s.connect()
                guard state != .stopped else { break }
                s.onMessage = { [weak self] channel, payload in
                    guard let self else { return }
                    self.received += 1
                    self.onMessage(channel, payload)
                }
                try s.subscribe(channels.sorted())
                c.onDisconnect = { [weak self] reason in self?.connectionLost(reason) }
                s.onDisconnect = { [weak self] reason in self?.connectionLost(reason) }
                if !first { reconnects += 1 }
                first = false
                state = .connected
                backoff = RedisService.minBackoffMilliseconds
                onConnected()
                await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in lostWaiter = k }
            } catch {
                note((error as? KernelError)?.message ?? "\(error)")
            }
            c.onDisconnect = { _ in }
            s.onDisconnect = { _ in }
            c.close()
            s.close()
            commands = nil
            subscriber = nil
            guard state != .stopped else { break }
            state = .connecting
            await sleep(ms: backoff)
            backoff = min(backoff * 2, RedisService.maxBackoffMilliseconds)
        }
    }

    private func connectionLost(_ reason: String?) {
        guard state == .connected else { return }
        note(reason ?? "connection closed")
        losses += 1
        state = .connecting
        onLost()
        let k = lostWaiter
        lostWaiter = nil
        k?.resume()
    }

    private func note(_ error: String) {
        lastError = error
        lastErrorAt = .now()
    }

    private func sleep(ms: UInt64) async {
        await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
            sleepWaiter = k
            do {
                sleepTimer = try Timer.after(loop: KernelRuntime.loop, ms: ms) { [weak self] in
                    self?.sleepTimer = nil
                    self?.wake()
                }
            } catch { wake() }
        }
    }

    private func wake() {
        let k = sleepWaiter
        sleepWaiter = nil
        k?.resume()
    }

    public func stop() {
        guard state != .stopped else { return }
        state = .stopped
        commands?.close()
        subscriber?.close()
        let k = lostWaiter
        lostWaiter = nil
        k?.resume()
        // A backoff in progress ends now (its timer would hold the loop until it fired).
        sleepTimer?.close()
        sleepTimer = nil
        wake()
    }

    /// Follows `channel` (now if connected, and after every reconnect).
    public func subscribe(_ channel: String) {
        guard channels.insert(channel).inserted, state == .connected, let s = subscriber else { return }
        do { try s.subscribe([channel]) } catch { note("SUBSCRIBE: \((error as? KernelError)?.message ?? "\(error)")") }
    }

    public func unsubscribe(_ channel: String) {
        guard channels.remove(channel) != nil, state == .connected, let s = subscriber else { return }
        do { try s.unsubscribe([channel]) } catch { note("UNSUBSCRIBE: \((error as? KernelError)?.message ?? "\(error)")") }
    }

    /// `PUBLISH`es without waiting for the reply; false when Redis is not connected now.
    @discardableResult
    public func publish(_ channel: String, _ payload: [UInt8]) -> Bool {
        guard state == .connected, let c = commands else { return false }
        do {
            try c.send([Array("PUBLISH".utf8), Array(channel.utf8), payload])
            published += 1
            return true
        } catch {
            return false
        }
    }

    /// One command on the command connection; `unavailable` when Redis is not connected now.
    public func command(_ args: [[UInt8]]) async throws -> RedisReply {
        guard state == .connected, let c = commands else {
            throw KernelError.unavailable("Redis \(endpoint.redacted) is not connected (\(state.rawValue))")
        }
        return try await c.command(bytes: args)
    }
}
