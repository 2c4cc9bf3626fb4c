import Foundation
import Glibc
import KernelCore

/// A minimal blocking HTTP/1.1 client over a raw TCP socket, for live tests
/// (shared by IntegrationTests and KernelServerTests) that need exact control of the bytes (pipelining, slow headers, chunked
/// bodies, SSE streams).
public final class HTTPTestClient {
    public struct Response {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public func header(_ n: String) -> String? { headers.first { $0.0 == n.lowercased() }?.1 }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: JSON { (try? JSONParser.parse(body)) ?? .null }
    }

    public enum Failure: Error { case connect(Int32), closed, timeout, malformed(String) }

    public let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var eof = false

    /// Picks a free loopback port (bind to 0, read it back, release it).
    public static func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 { let e = errno; close(fd); throw Failure.connect(e) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure.closed }
            off += n
        }
    }

    /// Reads more bytes into the buffer; false at EOF.
    @discardableResult
    public func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout }
            if errno == ECONNRESET { eof = true; return false }
            throw Failure.closed
        }
        if n == 0 { eof = true; return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response (Content-Length or close-delimited).
    public func readResponse() throws -> Response {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = HTTPTestClient.find(Array("\r\n\r\n".utf8), in: buffer)
            if headEnd == nil { guard try fill() else { throw Failure.closed } }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure.malformed(head) }
        let headers = lines.compactMap { l -> (String, String)? in
            guard let c = l.firstIndex(of: ":") else { return nil }
            return (l[..<c].lowercased(), String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces))
        }
        var r = Response(status: status, headers: headers, body: [])
        if status == 100 { return try readResponse() }
        if let cl = r.header("content-length").flatMap(Int.init) {
            while buffer.count < cl { guard try fill() else { throw Failure.closed } }
            r.body = Array(buffer[0..<cl])
            buffer.removeFirst(cl)
        } else if status != 304 && status != 204 {
            while try fill() {}
            r.body = buffer
            buffer = []
        }
        return r
    }

    /// Reads SSE text until `predicate` holds for everything read so far, or EOF.
    public func readStream(until predicate: (String) -> Bool) throws -> String {
        while !predicate(String(decoding: buffer, as: UTF8.self)) {
            guard try fill() else { break }
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Everything until the server closes (or the read timeout).
    public func readToEOF() throws -> String {
        while try fill() {}
        return String(decoding: buffer, as: UTF8.self)
    }

    /// True when the server closed the connection (reads until EOF or timeout).
    public func waitClosed() -> Bool {
        while true {
            do { if try !fill() { return true } } catch { return eof }
        }
    }

    public static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    /// One request on a fresh connection.
    public static func request(port: Int, _ method: String, _ path: String, body: String? = nil,
                        headers: [String: String] = [:]) throws -> Response {
        let c = try HTTPTestClient(port: port)
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        try c.send(text)
        return try c.readResponse()
    }
}
