import CLibPQ
import Glibc
import KernelCore
import KernelLoop

/// Connection parameters for `PQconnectStartParams`. libpq resolves a host
/// name with a blocking `getaddrinfo` inside `PQconnectStart`; to keep the
/// loop free, the name is resolved here on a worker thread and passed as
/// `hostaddr` (the `host` stays for TLS and authentication).
public struct PostgresConnectParams: Sendable {
    public var keywords: [String]
    public var values: [String]

    /// Parses a URI or `key=value` conninfo (pure parsing, no I/O).
    public static func parse(_ conninfo: String) throws -> PostgresConnectParams {
        var err: UnsafeMutablePointer<CChar>?
        guard let opts = PQconninfoParse(conninfo, &err) else {
            let msg = err.map { String(cString: $0) } ?? "malformed connection string"
            if let err { PQfreemem(err) }
            throw KernelError.invalidParams("invalid PostgreSQL URL: \(msg.trimmedLines)",
                                            errors: [FieldError("database_url", msg.trimmedLines)])
        }
        defer { PQconninfoFree(opts) }
        var p = PostgresConnectParams(keywords: [], values: [])
        var i = 0
        while let kw = opts[i].keyword {
            if let val = opts[i].val {
                p.keywords.append(String(cString: kw))
                p.values.append(String(cString: val))
            }
            i += 1
        }
        return p
    }

    /// TCP keepalive defaults (seconds), so a silently dropped server is noticed; URL values win.
    static let keepaliveDefaults: [(String, String)] = [("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3")]

    /// A copy with the keepalive defaults added where the URL set none.
    func withKeepaliveDefaults() -> PostgresConnectParams {
        var p = self
        for (k, v) in PostgresConnectParams.keepaliveDefaults where p.value(k) == nil {
            p.keywords.append(k)
            p.values.append(v)
        }
        return p
    }

    public func value(_ key: String) -> String? {
        keywords.firstIndex(of: key).map { values[$0] }
    }

    /// True when `host` needs a DNS lookup (not a socket dir, not numeric, a single host).
    var needsResolution: Bool {
        guard value("hostaddr") == nil, let host = value("host"), !host.isEmpty else { return false }
        if host.hasPrefix("/") || host.hasPrefix("@") || host.contains(",") { return false }
        return !PostgresConnectParams.isNumeric(host)
    }

    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Blocking `getaddrinfo`: call on a worker thread only.
    static func resolve(_ host: String, port: String?) throws -> String {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, port, &hints, &res)
        guard rc == 0, let first = res else {
            throw KernelError.unavailable("cannot resolve PostgreSQL host \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var buf = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &buf, socklen_t(buf.count), nil, 0, NI_NUMERICHOST) == 0 else {
            throw KernelError.unavailable("cannot resolve PostgreSQL host \(host)")
        }
        return String(nulTerminated: buf)
    }

    /// A copy with `hostaddr` filled in, resolving on `worker`.
    func resolved(on worker: WorkerThread) async throws -> PostgresConnectParams {
        guard needsResolution, let host = value("host") else { return withKeepaliveDefaults() }
        let port = value("port")
        let addr = try await worker.run { try PostgresConnectParams.resolve(host, port: port) }
        var p = withKeepaliveDefaults()
        p.keywords.append("hostaddr")
        p.values.append(addr)
        return p
    }
}
