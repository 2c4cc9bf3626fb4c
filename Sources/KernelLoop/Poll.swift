import CLibUV

/// A `uv_poll_t`: readiness of a file descriptor the loop does not own
/// (libpq's socket). Loop-thread only.
public final class Poll: Handle {
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int32(UV_READABLE.rawValue))
        public static let writable = Events(rawValue: Int32(UV_WRITABLE.rawValue))
        public static let disconnect = Events(rawValue: Int32(UV_DISCONNECT.rawValue))
    }

    private var callback: ((Int32, Events) -> Void)?
    public let fd: Int32

    public init(loop: Loop, fd: Int32) throws {
        self.fd = fd
        super.init(loop: loop, type: UV_POLL)
        let rc = uv_poll_init(loop.raw, raw, fd)
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_poll_init") }
        adopt()
    }

    private var raw: UnsafeMutablePointer<uv_poll_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_poll_t.self)
    }

    /// Watches `events`; the callback gets a status (< 0 on error) and the ready set.
    public func start(_ events: Events, _ callback: @escaping (Int32, Events) -> Void) throws {
        self.callback = callback
        try check(uv_poll_start(raw, events.rawValue, { p, status, ev in
            Handle.owner(UnsafeMutableRawPointer(p), as: Poll.self)?.callback?(status, Events(rawValue: ev))
        }), "uv_poll_start")
    }

    public func stop() {
        guard isOpen else { return }
        uv_poll_stop(raw)
    }

    public override func didClose() { callback = nil }

    /// How libuv and epoll see this watcher right now, for error messages
    /// when an expected event never came: whether the loop's watcher table
    /// points at this handle for `fd`, the watcher's pending/current masks, and
    /// whether the loop's epoll instance has `fd` registered (from
    /// /proc/self/fdinfo of the epoll descriptor).
    public var diagnosis: String {
        guard isOpen else { return "poll handle closed" }
        let io = withUnsafeMutablePointer(to: &raw.pointee.io_watcher) { $0 }
        let l = loop.raw.pointee
        var table = "none"
        if fd >= 0, UInt32(fd) < l.nwatchers, let w = l.watchers[Int(fd)] {
            table = w == io ? "this handle" : "another handle"
        }
        let epfd = uv_backend_fd(loop.raw)
        var registered = "unknown"
        if let text = readFile("/proc/self/fdinfo/\(epfd)") {
            let line = text.split(separator: "\n").first { $0.hasPrefix("tfd:") && $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == Substring(String(fd)) }
            registered = line.map { "yes (\($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).prefix(2).joined(separator: " ")))" } ?? "no"
        }
        return "fd \(fd): watcher table entry \(table); masks pending \(io.pointee.pevents) current \(io.pointee.events); in epoll: \(registered)"
    }
}
