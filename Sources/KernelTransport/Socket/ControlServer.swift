import CKernelSupport
import Glibc
import KernelCore
import KernelDispatch
import KernelLoop
import Logging

/// The Unix-socket transport: JSON-RPC 2.0, one compact JSON object per line.
///
/// Holds no business logic: every request goes to the `Dispatcher`.
/// Security: the socket file is created with mode 0600 and every peer's uid
/// is checked with SO_PEERCRED against the kernel's.
@KernelActor
public final class ControlServer {
    /// Largest accepted message (one line), in bytes.
    public static let maxMessageBytes = 16 * 1024 * 1024
    /// Most client connections at once; more are refused with an error line.
    public static let maxConnections = 1024
    /// Bytes a client may leave unread before it is disconnected.
    public static let maxOutboundBytes = 32 * 1024 * 1024
    /// How often a half-closed client with replies pending is checked for having gone
    /// entirely (its requests are then cancelled), in ms.
    public static let peerProbeMs: UInt64 = 250
    /// Listen backlog.
    public static let backlog: Int32 = 511

    public typealias State = ListenerState

    public let path: String
    let dispatcher: Dispatcher
    let logger: Logger
    private let connections = TransportListener<Pipe, ControlConnection>(transport: "socket")
    public var state: State { connections.state }
    /// Connections accepted since start (for metrics).
    public var acceptedTotal: Int { connections.acceptedTotal }

    public init(path: String, dispatcher: Dispatcher, logger: Logger) {
        self.path = path
        self.dispatcher = dispatcher
        self.logger = logger
    }

    public var connectionCount: Int { connections.connectionCount }

    /// Binds and listens. A live kernel's socket is never stolen; a stale one is replaced.
    public func start() throws {
        try ControlServer.claimSocketPath(path)
        let pipe = try Pipe(loop: KernelRuntime.loop)
        let old = umask(0o177)
        do {
            try pipe.bind(path: path)
        } catch {
            umask(old)
            pipe.close()
            throw error
        }
        umask(old)
        chmod(path, 0o600)
        do {
            try pipe.listen(backlog: ControlServer.backlog) { [weak self] status in
                KernelActor.assumeIsolated { self?.accept(status) }
            }
        } catch {
            pipe.close()
            throw error
        }
        connections.listening(pipe)
    }

    /// Removes a stale socket file; throws `conflict` if a kernel answers on it.
    static func claimSocketPath(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw KernelError.conflict("\(path) exists and is not a socket; refusing to replace it")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KernelError.unavailable("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            let bytes = Array(path.utf8.prefix(buf.count - 1))
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc == 0 {
            throw KernelError.conflict("another kernel is already serving on \(path)")
        }
        unlink(path)
    }

    private func accept(_ status: Int32) {
        guard status >= 0, let listener = connections.listener, state == .listening else { return }
        let client: Pipe
        do { client = try listener.accept() } catch {
            logger.warning("accept failed", metadata: ["error": "\(error)"])
            return
        }
        connections.accepted()
        var uid: uid_t = 0
        var pid: pid_t = 0
        let rc = mcpk_peer_credentials(client.fileDescriptor, &pid, &uid, nil)
        if rc != 0 || uid != getuid() {
            logger.warning("refused peer", metadata: ["uid": "\(uid)", "pid": "\(pid)"])
            refuse(client, code: RPCError.forbidden, kind: .forbidden, "peer uid \(uid) is not the kernel's uid \(getuid())")
            return
        }
        if connections.connectionCount >= ControlServer.maxConnections {
            refuse(client, code: RPCError.unavailable, kind: .unavailable,
                   "too many connections (max \(ControlServer.maxConnections))")
            return
        }
        let conn = ControlConnection(stream: client, server: self, peerUID: uid, peerPID: pid)
        connections.insert(conn)
        conn.start()
    }

    private func refuse(_ client: Pipe, code: Int64, kind: KernelError.Kind, _ message: String) {
        let line = RPCError.response(id: .null, error: RPCError.object(code: code, message: message, kind: kind)).serialized() + "\n"
        client.write(line)
        client.shutdown { _ in client.close() }
    }

    func connectionClosed(_ conn: ControlConnection) {
        connections.remove(conn)
    }

    /// Stops accepting new connections (the socket file is removed).
    public func stopAccepting() {
        guard connections.stopAccepting() else { return }
        unlink(path)
    }

    /// Requests still being handled on any connection.
    public var inFlight: Int { connections.all.reduce(0) { $0 + $1.inFlight } }

    /// Closes every connection after its queued replies are written.
    public func closeAll() async {
        stopAccepting()
        await connections.closeAll()
    }
}
