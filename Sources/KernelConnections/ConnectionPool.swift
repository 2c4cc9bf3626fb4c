import KernelCore
import KernelLoop
import KernelPlugins

/// The connector connections of one stored connection record (at one `updatedAt`): up to
/// `limit` open at once, each running one statement at a time, so that many statements on
/// one record run concurrently. An idle connection is reused most recently used first (one
/// caller at a time keeps landing on the same session); a new one opens only when every open
/// one is busy; past the limit a caller waits its turn, first come first served. A lease is
/// a `PluginConnection.reserve()`, so the plugin host sees a leased connection as busy and an
/// idle one as closable (`plugin.unload`). On the loop.
@KernelActor
final class ConnectionPool {
    /// `retired`: the record changed, its plugin lost its connections, or the runtime closed;
    /// no new lease, busy connections close when they are released.
    enum State: Equatable { case active, retired }

    /// The record the pool's connections were opened from.
    let record: Connection
    /// The record's name (the metric label).
    var name: String { record.name }
    let limit: Int
    private(set) var state = State.active
    private let openConnection: @KernelActor () async throws -> PluginConnection
    /// Idle connections, most recently released last.
    private var idle: [PluginConnection] = []
    private var busy: [ObjectIdentifier: PluginConnection] = [:]
    private var opening = 0
    /// Callers waiting for a connection, in arrival order: resumed with a connection handed
    /// over by `release`, or nil to try again (capacity freed, or the pool retired).
    private var waiters: [(id: Int, continuation: CheckedContinuation<PluginConnection?, Error>)] = []
    private var nextWaiter = 0

    init(record: Connection, limit: Int, open: @escaping @KernelActor () async throws -> PluginConnection) {
        self.record = record
        self.limit = max(1, limit)
        openConnection = open
    }

    var busyCount: Int { busy.count }
    var idleCount: Int { idle.filter { $0.state == .open }.count }

    /// A leased connection, or nil when the pool retired meanwhile (ask the runtime for the
    /// record's current pool). Throws `CancellationError` when the task is cancelled while it
    /// waits, or the connector's error when a new connection cannot be opened.
    func acquire() async throws -> PluginConnection? {
        while state == .active {
            while let c = idle.popLast() {
                if c.reserve() { return leased(c) }  // a closed one (unloaded plugin) is dropped
            }
            if busy.count + opening < limit {
                opening += 1
                let c: PluginConnection
                do { c = try await openConnection() } catch {
                    opening -= 1
                    wakeOne()
                    throw error
                }
                opening -= 1
                if c.reserve() { return leased(c) }
                continue
            }
            try Task.checkCancellation()
            let id = nextWaiter
            nextWaiter += 1
            let handed = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<PluginConnection?, Error>) in
                    waiters.append((id, c))
                }
            } onCancel: {
                Task { @KernelActor in self.cancelWaiter(id) }
            }
            if let handed { return handed }
        }
        return nil
    }

    private func leased(_ c: PluginConnection) -> PluginConnection {
        busy[ObjectIdentifier(c)] = c
        publish()
        return c
    }

    /// Gives a lease back. `discard`: the connection failed in a way that ends it (the pool
    /// retires, since its siblings share the plugin's fate). Otherwise it goes to the first
    /// waiter, still leased, or back to the idle list.
    func release(_ c: PluginConnection, discard: Bool = false) async {
        guard busy.removeValue(forKey: ObjectIdentifier(c)) != nil else { return }
        if discard { retire() }
        if state == .retired || c.state != .open {
            c.release()
            publish()
            wakeOne()
            await c.close()
            return
        }
        if !waiters.isEmpty {
            let w = waiters.removeFirst()
            busy[ObjectIdentifier(c)] = c
            w.continuation.resume(returning: c)
            return
        }
        c.release()
        idle.append(c)
        publish()
    }

    /// Stops leasing: idle connections close now, busy ones when released; waiters try again
    /// (at the record's next pool).
    func retire() {
        guard state == .active else { return }
        state = .retired
        let spare = idle
        idle = []
        let woken = waiters
        waiters = []
        for w in woken { w.continuation.resume(returning: nil) }
        Metrics.connectionPool.set(0, ["connection": name, "state": "busy"])
        Metrics.connectionPool.set(0, ["connection": name, "state": "idle"])
        Task { @KernelActor in for c in spare { await c.close() } }
    }

    /// Retires and waits until the idle connections are closed (busy ones are cancelled and closed).
    func closeAll() async {
        let spare = idle, running = Array(busy.values)
        idle = []
        retire()
        for c in running { c.cancel() }
        for c in spare + running { await c.close() }
    }

    private func wakeOne() {
        guard !waiters.isEmpty else { return }
        waiters.removeFirst().continuation.resume(returning: nil)
    }

    private func cancelWaiter(_ id: Int) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: i).continuation.resume(throwing: CancellationError())
    }

    /// The pool's gauges (a retired pool zeroed them; the record's next pool owns the labels).
    private func publish() {
        guard state == .active else { return }
        Metrics.connectionPool.set(Double(busy.count), ["connection": name, "state": "busy"])
        Metrics.connectionPool.set(Double(idleCount), ["connection": name, "state": "idle"])
    }
}
