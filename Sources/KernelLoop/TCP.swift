import CLibUV
import Glibc

/// A `uv_tcp_t`. Loop-thread only.
public final class TCP: Stream {
    public init(loop: Loop) throws {
        super.init(loop: loop, type: UV_TCP)
        let rc = uv_tcp_init(loop.raw, raw)
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_tcp_init") }
        adopt()
    }

    var raw: UnsafeMutablePointer<uv_tcp_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_tcp_t.self)
    }

    /// Binds to an IPv4 or IPv6 literal address.
    public func bind(host: String, port: Int) throws {
        var storage = sockaddr_storage()
        try withUnsafeMutablePointer(to: &storage) { sp in
            try sp.withMemoryRebound(to: sockaddr.self, capacity: 1) { addr in
                if host.contains(":") {
                    try check(uv_ip6_addr(host, Int32(port), UnsafeMutableRawPointer(addr).assumingMemoryBound(to: sockaddr_in6.self)), "uv_ip6_addr")
                } else {
                    try check(uv_ip4_addr(host, Int32(port), UnsafeMutableRawPointer(addr).assumingMemoryBound(to: sockaddr_in.self)), "uv_ip4_addr")
                }
                try check(uv_tcp_bind(raw, addr, 0), "uv_tcp_bind")
            }
        }
    }

    public func setNoDelay(_ on: Bool) {
        uv_tcp_nodelay(raw, on ? 1 : 0)
    }

    /// The locally bound port (after bind), or 0.
    public var localPort: Int {
        var storage = sockaddr_storage()
        var len = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { sp in
            sp.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(raw, $0, &len) }
        }
        guard rc == 0 else { return 0 }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { sp -> Int in
            if family == sa_family_t(AF_INET6) {
                return sp.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return sp.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Accepts a pending connection as a new TCP.
    public func accept() throws -> TCP {
        try accepting(TCP(loop: loop))
    }
}
