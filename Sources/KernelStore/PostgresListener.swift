import KernelCore
import KernelLoop

/// A dedicated PostgreSQL connection that `LISTEN`s on the kernel's channels
/// (`SQLStore.queueChannel`, `SQLStore.eventsChannel`) and hands every notification to
/// `onNotification` on the loop. Never part of the store's pool. A lost connection is reopened
/// with backoff (`minBackoffMilliseconds` doubling to `maxBackoffMilliseconds`); notifications
/// sent while it was away are lost, so `onConnected` runs after every (re)connect and the
/// owner re-reads what it might have missed.
@KernelActor
public final class PostgresListener {
    /// Explicit life cycle.
    public enum State: String, Sendable { case created, connecting, listening, stopped }

    static let minBackoffMilliseconds: UInt64 = 100
    static let maxBackoffMilliseconds: UInt64 = 5_000

    let conninfo: String
    public let channels: [String]
    public private(set) var state: State = .created
    /// Connections opened after the first (lost and reopened).
    public private(set) var reconnects = 0
    public private(set) var notificationsReceived = 0
    /// The last connect or receive error, for `kernel.status`.
    public private(set) var lastError: String?
    private var connection: PostgresConnection?
    public var onNotification: (String, String) -> Void = { _, _ in }
    public var onConnected: () -> Void = {}

    public init(conninfo: String, channels: [String] = [SQLStore.queueChannel, SQLStore.eventsChannel]) {
        self.conninfo = conninfo
        self.channels = channels
    }

    public func start() {
        guard state == .created else { return }
        state = .connecting
        Task { @KernelActor in await self.serve() }
    }

    private func serve() async {
        var backoff = PostgresListener.minBackoffMilliseconds
        var first = true
        while state != .stopped {
            do {
                let c = try await PostgresConnection.connect(conninfo)
                connection = c
                guard state != .stopped else { break }
                for channel in channels { _ = try await c.query("LISTEN \(channel)", []) }
                if !first { reconnects += 1 }
                first = false
                state = .listening
                lastError = nil
                backoff = PostgresListener.minBackoffMilliseconds
                onConnected()
                while state == .listening {
                    guard let got = c.takeNotifications() else { throw KernelError.unavailable("PostgreSQL listener connection lost") }
                    notificationsReceived += got.count
                    for n in got { onNotification(n.channel, n.payload) }
                    try await c.waitUntilReadable()
                }
            } catch {
                lastError = (error as? KernelError)?.message ?? "\(error)"
            }
            connection?.close()
            connection = nil
            guard state != .stopped else { break }
            state = .connecting
            await PostgresListener.sleep(ms: backoff)
            backoff = min(backoff * 2, PostgresListener.maxBackoffMilliseconds)
        }
    }

    public func stop() {
        state = .stopped
        connection?.close()
        connection = nil
    }

    static func sleep(ms: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            do { try Timer.after(loop: KernelRuntime.loop, ms: ms) { c.resume() } } catch { c.resume() }
        }
    }
}
