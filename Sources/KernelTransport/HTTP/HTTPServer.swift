import KernelCore
import KernelDispatch
import KernelLoop
import Logging

/// The HTTP/1.1 + SSE shim's listener (DESIGN.md §5) on the kernel's loop.
/// Every request goes through `HTTPAPI` to the same dispatcher as the socket.
@KernelActor
public final class HTTPServer {
    public typealias State = ListenerState

    public let host: String
    public let requestedPort: Int
    public let limits: HTTPLimits
    let api: HTTPAPI
    let logger: Logger
    private let connections = TransportListener<TCP, HTTPConnection>(transport: "http")
    public var state: State { connections.state }
    public var acceptedTotal: Int { connections.acceptedTotal }

    public init(host: String, port: Int, api: HTTPAPI, limits: HTTPLimits, logger: Logger) {
        self.host = host
        self.requestedPort = port
        self.api = api
        self.limits = limits
        self.logger = logger
    }

    public var connectionCount: Int { connections.connectionCount }

    /// The bound port (useful with port 0).
    public private(set) var port = 0

    public func start() throws {
        let tcp = try TCP(loop: KernelRuntime.loop)
        do {
            try tcp.bind(host: host == "localhost" ? "127.0.0.1" : host, port: requestedPort)
            try tcp.listen(backlog: HTTPLimits.backlog) { [weak self] status in
                KernelActor.assumeIsolated { self?.accept(status) }
            }
        } catch let e as UVError {
            tcp.close()
            let hint = e.name == "EADDRINUSE" ? " (another process has it: choose another address with --http or MCPK_HTTP, or --http off)" : ""
            throw KernelError.unavailable("cannot listen on http://\(host):\(requestedPort): \(e.kernelError.message)\(hint)")
        }
        port = tcp.localPort
        connections.listening(tcp)
        logger.info("http listening", metadata: ["address": "\(host):\(port)"])
    }

    private func accept(_ status: Int32) {
        guard status >= 0, let listener = connections.listener, state == .listening else { return }
        let client: TCP
        do { client = try listener.accept() } catch {
            logger.warning("http accept failed", metadata: ["error": "\(error)"])
            return
        }
        connections.accepted()
        client.setNoDelay(true)
        if connections.connectionCount >= limits.maxConnections {
            let r = HTTPResponse.error(503, kind: "unavailable", message: "too many connections (max \(limits.maxConnections))",
                                       headers: [("Retry-After", "1")])
            client.write(r.serialized(keepAlive: false))
            client.shutdown { _ in client.close() }
            Metrics.httpRequests.increment(["route": "refused", "method": "", "status": "503"])
            return
        }
        let conn = HTTPConnection(stream: client, server: self)
        connections.insert(conn)
        conn.start()
    }

    func connectionClosed(_ conn: HTTPConnection) {
        connections.remove(conn)
    }

    public func stopAccepting() {
        connections.stopAccepting()
    }

    /// Stops accepting, lets in-flight responses finish, ends streams, closes everything.
    public func closeAll() async {
        stopAccepting()
        await connections.closeAll()
    }
}
