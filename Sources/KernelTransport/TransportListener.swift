import KernelCore
import KernelLoop

/// What the socket and HTTP servers share: the listening handle, the explicit state and the
/// open connections, counted in the `mcpk_connections` gauge under the transport's label.
/// Loop-thread only.
@KernelActor
final class TransportListener<Listener: Handle, Connection: Draining> {
    /// The gauge's `transport` label (`socket`, `http`).
    let transport: String
    private(set) var state: ListenerState = .idle
    private(set) var listener: Listener?
    private var connections: [ObjectIdentifier: Connection] = [:]
    /// Connections accepted since start (for metrics).
    private(set) var acceptedTotal = 0

    init(transport: String) { self.transport = transport }

    var connectionCount: Int { connections.count }
    var all: [Connection] { Array(connections.values) }

    /// `listener` is bound and listening.
    func listening(_ listener: Listener) {
        self.listener = listener
        state = .listening
    }

    /// Counts an accepted client (refused ones included).
    func accepted() { acceptedTotal += 1 }

    func insert(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = connection
        Metrics.connections.set(Double(connections.count), ["transport": transport])
    }

    func remove(_ connection: Connection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        Metrics.connections.set(Double(connections.count), ["transport": transport])
    }

    /// Closes the listener: no new connections. False when it was not listening.
    @discardableResult
    func stopAccepting() -> Bool {
        guard state == .listening else { return false }
        state = .draining
        listener?.close()
        listener = nil
        return true
    }

    /// Asks every open connection to finish and returns once all have closed.
    func closeAll() async {
        await finishAll(all)
        state = .closed
    }
}
