import CLibUV
import Glibc

/// A `uv_stream_t` (pipe or TCP): reads, coalesced writes with backpressure
/// accounting, shutdown, listen/accept. Loop-thread only.
///
/// Writes: bytes given to `write` are first tried synchronously
/// (`uv_try_write`); the rest joins a pending buffer and goes out in one
/// `uv_write` at a time. `queuedBytes` is what the kernel has accepted but the
/// peer has not yet taken: transports compare it with their named limits to
/// drop clients that never read.
open class Stream: Handle {
    public static let readBufferSize = 64 * 1024

    /// Data as it arrives. The buffer is only valid during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// End of the read side: nil on EOF, the error otherwise. Called once.
    public var onEnd: ((UVError?) -> Void)?
    /// Called when every queued byte has been handed to the kernel.
    public var onDrain: (() -> Void)?
    /// A write failed (peer gone); the stream should be closed.
    public var onWriteError: ((UVError) -> Void)?

    public private(set) var queuedBytes = 0
    public private(set) var isReading = false
    private var readBuffer: UnsafeMutableRawPointer?
    private var pending: [UInt8] = []
    private var writeInFlight = false
    private var ended = false
    private var connectionCallback: ((Int32) -> Void)?

    var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
    }

    /// The OS file descriptor, or -1.
    public var fileDescriptor: Int32 {
        var fd: uv_os_fd_t = -1
        guard isOpen, uv_fileno(handle, &fd) == 0 else { return -1 }
        return fd
    }

    public func startReading() throws {
        guard isOpen, !isReading, !ended else { return }
        if readBuffer == nil { readBuffer = UnsafeMutableRawPointer.allocate(byteCount: Stream.readBufferSize, alignment: 16) }
        try check(uv_read_start(stream, { h, _, buf in
            guard let owner = Handle.owner(UnsafeMutableRawPointer(h), as: Stream.self), let b = owner.readBuffer else {
                buf?.pointee = uv_buf_init(nil, 0); return
            }
            buf?.pointee = uv_buf_init(b.assumingMemoryBound(to: CChar.self), UInt32(Stream.readBufferSize))
        }, { s, nread, _ in
            guard let owner = Handle.owner(UnsafeMutableRawPointer(s), as: Stream.self) else { return }
            owner.handleRead(nread)
        }), "uv_read_start")
        isReading = true
    }

    public func stopReading() {
        guard isOpen, isReading else { return }
        uv_read_stop(stream)
        isReading = false
    }

    private func handleRead(_ nread: Int) {
        if nread > 0, let b = readBuffer {
            onRead?(UnsafeRawBufferPointer(start: b, count: nread))
        } else if nread < 0 {
            isReading = false
            uv_read_stop(stream)
            guard !ended else { return }
            ended = true
            let code = Int32(nread)
            onEnd?(code == UV_EOF.rawValue ? nil : UVError(code, "read"))
        }
    }

    /// Queues bytes for writing. Returns false if the stream is not open.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard isOpen else { return false }
        guard bytes.count > 0 else { return true }
        var offset = 0
        if !writeInFlight && pending.isEmpty {
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
            let n = uv_try_write(stream, &buf, 1)
            if n > 0 { offset = Int(n) }
            if offset == bytes.count { return true }
        }
        pending.append(contentsOf: bytes[offset...])
        queuedBytes += bytes.count - offset
        flush()
        return true
    }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write($0) }
    }

    @discardableResult
    public func write(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    private final class WriteContext {
        let buffer: UnsafeMutableRawPointer
        let count: Int
        let stream: Stream
        init(_ bytes: [UInt8], stream: Stream) {
            let n = bytes.count
            let buf = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 1)
            bytes.withUnsafeBytes { buf.copyMemory(from: $0.baseAddress!, byteCount: n) }
            count = n
            buffer = buf
            self.stream = stream
        }
        deinit { buffer.deallocate() }
    }

    private func flush() {
        guard !writeInFlight, !pending.isEmpty, isOpen else { return }
        let ctx = WriteContext(pending, stream: self)
        pending.removeAll(keepingCapacity: true)
        let req = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(ctx).toOpaque()
        var buf = uv_buf_init(ctx.buffer.assumingMemoryBound(to: CChar.self), UInt32(ctx.count))
        let rc = uv_write(req, stream, &buf, 1) { req, status in
            guard let req else { return }
            let ctx = Unmanaged<WriteContext>.fromOpaque(req.pointee.data).takeRetainedValue()
            req.deallocate()
            ctx.stream.writeCompleted(bytes: ctx.count, status: status)
        }
        if rc != 0 {
            Unmanaged<WriteContext>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            queuedBytes -= ctx.count
            onWriteError?(UVError(rc, "uv_write"))
            return
        }
        writeInFlight = true
    }

    private func writeCompleted(bytes: Int, status: Int32) {
        writeInFlight = false
        queuedBytes -= bytes
        if status < 0 {
            if status != UV_ECANCELED.rawValue { onWriteError?(UVError(status, "write")) }
            return
        }
        if pending.isEmpty {
            if queuedBytes == 0 { onDrain?() }
        } else {
            flush()
        }
    }

    /// Half-closes the write side once queued writes are done.
    public func shutdown(_ done: ((UVError?) -> Void)? = nil) {
        guard isOpen else { done?(nil); return }
        if writeInFlight || !pending.isEmpty {
            let previous = onDrain
            onDrain = { [weak self] in
                previous?()
                self?.onDrain = previous
                self?.shutdown(done)
            }
            return
        }
        final class Box { let cb: ((UVError?) -> Void)?; init(_ cb: ((UVError?) -> Void)?) { self.cb = cb } }
        let req = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(Box(done)).toOpaque()
        let rc = uv_shutdown(req, stream) { req, status in
            guard let req else { return }
            let box = Unmanaged<Box>.fromOpaque(req.pointee.data).takeRetainedValue()
            req.deallocate()
            box.cb?(status < 0 ? UVError(status, "shutdown") : nil)
        }
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            done?(UVError(rc, "uv_shutdown"))
        }
    }

    /// Starts listening; the callback gets 0 or a negative status per incoming connection.
    public func listen(backlog: Int32 = 511, _ onConnection: @escaping (Int32) -> Void) throws {
        connectionCallback = onConnection
        try check(uv_listen(stream, backlog) { s, status in
            Handle.owner(UnsafeMutableRawPointer(s), as: Stream.self)?.connectionCallback?(status)
        }, "uv_listen")
    }

    /// Accepts a pending connection into `client` (a fresh, unconnected stream of the same kind).
    public func accept(into client: Stream) throws {
        try check(uv_accept(stream, client.stream), "uv_accept")
    }

    /// Accepts a pending connection into `client`, a new stream of the listener's kind
    /// (`Pipe.accept`, `TCP.accept`); closes it when that fails.
    func accepting<Client: Stream>(_ client: Client) throws -> Client {
        do {
            try accept(into: client)
        } catch {
            client.close()
            throw error
        }
        return client
    }

    open override func willClose() {
        isReading = false
    }

    open override func didClose() {
        readBuffer?.deallocate()
        readBuffer = nil
        onRead = nil
        onEnd = nil
        onDrain = nil
        onWriteError = nil
        connectionCallback = nil
        pending = []
    }
}
