import CLibUV

/// A `uv_async_t`: the one thread-safe wake-up of the loop.
///
/// `init`, `close` and the callback are loop-thread only; `send()` may be
/// called from any thread (sends coalesce: the callback runs at least once
/// after the last send).
public final class Async: Handle, @unchecked Sendable {
    private var callback: (() -> Void)?

    public init(loop: Loop, _ callback: @escaping () -> Void) throws {
        self.callback = callback
        super.init(loop: loop, type: UV_ASYNC)
        let rc = uv_async_init(loop.raw, raw) { a in
            Handle.owner(UnsafeMutableRawPointer(a), as: Async.self)?.callback?()
        }
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_async_init") }
        adopt()
    }

    private var raw: UnsafeMutablePointer<uv_async_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_async_t.self)
    }

    /// Thread-safe. Must not be called after `close()` has completed.
    public func send() { uv_async_send(raw) }

    public override func didClose() { callback = nil }
}
