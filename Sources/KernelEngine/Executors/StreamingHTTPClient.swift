import Glibc
import KernelCore
import KernelLoop

/// A small blocking HTTP/1.1 client for one streaming POST, run on a dedicated worker thread:
/// connects (getaddrinfo), sends the request, parses the status and headers, and hands the
/// body (chunked or not) to `onBody` as it arrives. `cancel()` from any thread unblocks it.
/// Plain `http://` only (no TLS in this build).
final class StreamingHTTPClient: @unchecked Sendable {
    struct Response { var status: Int; var headers: [String: String] }

    static let maxHeaderBytes = 64 * 1024
    static let connectTimeoutSeconds = 10
    static let idleTimeoutSeconds = 300

    private let lock = ConditionLock()
    private var fd: Int32 = -1
    private var cancelled = false

    func cancel() {
        lock.withLock {
            cancelled = true
            if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Splits `http://host[:port]/path`.
    static func parseURL(_ url: String) throws -> (host: String, port: String, path: String) {
        guard url.hasPrefix("http://") else {
            if url.hasPrefix("https://") { throw KernelError.unavailable("https endpoints need TLS, which this build does not include; use http:// (e.g. a local gateway)") }
            throw KernelError.invalidParams("endpoint must be an http:// URL")
        }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hostPort = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasPrefix("[") {
            return (String(hostPort[..<colon]), String(hostPort[hostPort.index(after: colon)...]), path)
        }
        return (String(hostPort), "80", path)
    }

    /// Blocking: returns once the body has ended (or throws).
    func post(url: String, headers: [(String, String)], body: [UInt8],
              onResponse: (Response) throws -> Void, onBody: ([UInt8]) throws -> Void) throws {
        let (host, port, path) = try StreamingHTTPClient.parseURL(url)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, port, &hints, &res)
        guard rc == 0, let first = res else { throw KernelError.unavailable("cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(res) }
        var sock: Int32 = -1
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: StreamingHTTPClient.connectTimeoutSeconds, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { sock = s; break }
                lastError = String(cString: strerror(errno))
                close(s)
            }
            ai = a.pointee.ai_next
        }
        guard sock >= 0 else { throw KernelError.unavailable("cannot connect to \(host):\(port): \(lastError)") }
        var idle = timeval(tv_sec: StreamingHTTPClient.idleTimeoutSeconds, tv_usec: 0)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
        let stop: Bool = lock.withLock { if cancelled { return true }; fd = sock; return false }
        defer { lock.withLock { fd = -1 }; close(sock) }
        if stop { throw KernelError.unavailable("cancelled") }

        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try sendAll(sock, Array(head.utf8) + body)

        var buffer: [UInt8] = []
        var response: Response?
        var chunked = false
        var remaining: Int? = nil
        var chunkLeft = 0
        var chunkState = 0  // 0 = size line, 1 = data, 2 = CRLF after data, 3 = done
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = recv(sock, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if isCancelled { throw KernelError.unavailable("cancelled") }
            if n < 0 { throw KernelError.unavailable("read from \(host):\(port) failed: \(String(cString: strerror(errno)))") }
            if n == 0 {
                if response == nil { throw KernelError.unavailable("\(host):\(port) closed the connection before answering") }
                if !chunked, !buffer.isEmpty { try onBody(buffer); buffer = [] }
                return
            }
            buffer += chunk[0..<n]
            if response == nil {
                guard let end = StreamingHTTPClient.headerEnd(buffer) else {
                    if buffer.count > StreamingHTTPClient.maxHeaderBytes { throw KernelError.unavailable("response headers too large") }
                    continue
                }
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let code = Int(statusLine[1]) else { throw KernelError.unavailable("malformed HTTP status line") }
                var hs: [String: String] = [:]
                for l in lines {
                    guard let c = l.firstIndex(of: ":") else { continue }
                    hs[l[..<c].lowercased()] = String(l[l.index(after: c)...]).trimmed
                }
                let r = Response(status: code, headers: hs)
                response = r
                chunked = hs["transfer-encoding"]?.lowercased().contains("chunked") == true
                remaining = hs["content-length"].flatMap { Int($0) }
                try onResponse(r)
            }
            if chunked {
                var out: [UInt8] = []
                while chunkState != 3 {
                    if chunkState == 0 {
                        guard let crlf = StreamingHTTPClient.find(buffer, [13, 10]) else { break }
                        let sizeText = String(decoding: buffer[0..<crlf], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
                        guard let size = Int(sizeText.trimmed, radix: 16) else { throw KernelError.unavailable("malformed chunk size") }
                        buffer.removeFirst(crlf + 2)
                        if size == 0 { chunkState = 3; break }
                        chunkLeft = size
                        chunkState = 1
                    } else if chunkState == 1 {
                        if buffer.isEmpty { break }
                        let take = min(chunkLeft, buffer.count)
                        out += buffer[0..<take]
                        buffer.removeFirst(take)
                        chunkLeft -= take
                        if chunkLeft == 0 { chunkState = 2 }
                    } else {
                        if buffer.count < 2 { break }
                        buffer.removeFirst(2)
                        chunkState = 0
                    }
                }
                if !out.isEmpty { try onBody(out) }
                if chunkState == 3 { return }
            } else {
                let data = buffer
                buffer = []
                if !data.isEmpty { try onBody(data) }
                if let r = remaining {
                    remaining = r - data.count
                    if (remaining ?? 0) <= 0 { return }
                }
            }
        }
    }

    private func sendAll(_ s: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { send(s, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw KernelError.unavailable("sending the request failed: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    static func headerEnd(_ b: [UInt8]) -> Int? { find(b, [13, 10, 13, 10]) }

    static func find(_ b: [UInt8], _ pattern: [UInt8]) -> Int? {
        guard b.count >= pattern.count else { return nil }
        for i in 0...(b.count - pattern.count) where b[i] == pattern[0] {
            var ok = true
            for j in 1..<pattern.count where b[i + j] != pattern[j] { ok = false; break }
            if ok { return i }
        }
        return nil
    }
}
