import Glibc
import KernelCore

/// A blocking JSON-RPC client of the control socket, for the CLI, tests and
/// benchmarks (not used inside the kernel).
public final class ControlClient {
    public enum ClientError: Error, CustomStringConvertible {
        /// The kernel could not be reached at `path`.
        case unreachable(path: String, reason: String)
        /// The kernel closed the connection.
        case closed
        /// The kernel answered with a JSON-RPC error.
        case rpc(code: Int64, message: String, kind: String, errors: [FieldError])
        case protocolError(String)

        public var description: String {
            switch self {
            case .unreachable(let path, let reason):
                return "cannot reach the kernel at \(path): \(reason) (is `mcpk serve` running?)"
            case .closed: return "the kernel closed the connection"
            case .rpc(_, let message, let kind, let errors):
                if errors.isEmpty { return "\(kind): \(message)" }
                return "\(kind): \(message)\n" + errors.map { "  \($0.path): \($0.message)" }.joined(separator: "\n")
            case .protocolError(let m): return "protocol error: \(m)"
            }
        }
    }

    public let path: String
    public let fd: Int32
    private var buffer: [UInt8] = []
    /// Start of the unread bytes in `buffer` (consumed lines are dropped in bulk, not per line).
    private var bufferStart = 0
    private var nextID: Int64 = 1
    /// Notifications received while waiting for a response.
    public private(set) var pendingNotifications: [JSON] = []

    public init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.unreachable(path: path, reason: String(cString: strerror(errno))) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw ClientError.unreachable(path: path, reason: "path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            buf.copyBytes(from: bytes)
            buf[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ClientError.unreachable(path: path, reason: reason)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends raw bytes (a test may send anything).
    public func sendRaw(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.closed
            }
            off += n
        }
    }

    /// Sends one request line and returns its id.
    @discardableResult
    public func send(method: String, params: JSON = [:], notification: Bool = false) throws -> Int64 {
        let id = nextID
        nextID += 1
        var req: JSON = ["jsonrpc": "2.0", "method": .string(method), "params": params]
        if !notification, case .object(var o) = req { o["id"] = .int(id); req = .object(o) }
        var bytes = req.serializedBytes()
        bytes.append(0x0A)
        try sendRaw(bytes)
        return id
    }

    /// Reads the next message (response or notification). Nil on EOF.
    public func readMessage() throws -> JSON? {
        // Only bytes not yet searched are scanned for the newline (a multi-MiB reply arrives
        // in many reads; rescanning the whole buffer each time was quadratic).
        var searched = bufferStart
        while true {
            if let nl = buffer[max(searched, bufferStart)...].firstIndex(of: 0x0A) {
                let line = Array(buffer[bufferStart..<nl])
                bufferStart = nl + 1
                if bufferStart == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    bufferStart = 0
                }
                do {
                    return try JSONParser.parse(line)
                } catch {
                    throw ClientError.protocolError("bad line from kernel: \(error)")
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.closed
            }
            if bufferStart > 0 {
                buffer.removeSubrange(0..<bufferStart)
                bufferStart = 0
            }
            searched = buffer.count
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Calls a method and returns its result, or throws its error.
    public func call(_ method: String, _ params: JSON = [:]) throws -> JSON {
        let id = try send(method: method, params: params)
        while true {
            guard let msg = try readMessage() else { throw ClientError.closed }
            if msg["id"] == nil, msg["method"] != nil {
                pendingNotifications.append(msg)
                continue
            }
            guard msg["id"]?.intValue == id else { continue }
            return try ControlClient.unwrap(msg)
        }
    }

    /// Result of a response, or its error thrown.
    public static func unwrap(_ msg: JSON) throws -> JSON {
        if let err = msg["error"] {
            let errors = (err["data"]?["errors"]?.arrayValue ?? []).map {
                FieldError($0["path"]?.stringValue ?? "", $0["message"]?.stringValue ?? "")
            }
            throw ClientError.rpc(code: err["code"]?.intValue ?? 0, message: err["message"]?.stringValue ?? "",
                                  kind: err["data"]?["kind"]?.stringValue ?? "internal", errors: errors)
        }
        return msg["result"] ?? .null
    }

    /// Takes the notifications buffered by `call`.
    public func takeNotifications() -> [JSON] {
        defer { pendingNotifications = [] }
        return pendingNotifications
    }
}
