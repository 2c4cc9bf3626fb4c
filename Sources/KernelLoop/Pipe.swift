import CLibUV
import Glibc

/// A `uv_pipe_t`: Unix-domain socket or anonymous pipe. Loop-thread only.
public final class Pipe: Stream {
    private var connectCallback: ((UVError?) -> Void)?

    public init(loop: Loop) throws {
        super.init(loop: loop, type: UV_NAMED_PIPE)
        let rc = uv_pipe_init(loop.raw, raw, 0)
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_pipe_init") }
        adopt()
    }

    var raw: UnsafeMutablePointer<uv_pipe_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_pipe_t.self)
    }

    /// Wraps an existing file descriptor (the pipe takes ownership).
    public func open(fd: Int32) throws {
        try check(uv_pipe_open(raw, fd), "uv_pipe_open")
    }

    public func bind(path: String) throws {
        try check(uv_pipe_bind(raw, path), "uv_pipe_bind")
    }

    public func connect(path: String, _ done: @escaping (UVError?) -> Void) {
        connectCallback = done
        let req = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(self).toOpaque()
        uv_pipe_connect(req, raw, path) { req, status in
            guard let req else { return }
            let pipe = Unmanaged<Pipe>.fromOpaque(req.pointee.data).takeRetainedValue()
            req.deallocate()
            let cb = pipe.connectCallback
            pipe.connectCallback = nil
            cb?(status < 0 ? UVError(status, "connect") : nil)
        }
    }

    /// Accepts a pending connection as a new Pipe.
    public func accept() throws -> Pipe {
        try accepting(Pipe(loop: loop))
    }
}
