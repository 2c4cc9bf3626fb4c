import CLibUV

/// A `uv_signal_t` watching one signal number. Loop-thread only.
public final class Signal: Handle {
    private var callback: ((Int32) -> Void)?

    public init(loop: Loop) throws {
        super.init(loop: loop, type: UV_SIGNAL)
        let rc = uv_signal_init(loop.raw, raw)
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_signal_init") }
        adopt()
    }

    private var raw: UnsafeMutablePointer<uv_signal_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_signal_t.self)
    }

    public func start(_ signum: Int32, _ callback: @escaping (Int32) -> Void) throws {
        self.callback = callback
        try check(uv_signal_start(raw, { s, n in
            Handle.owner(UnsafeMutableRawPointer(s), as: Signal.self)?.callback?(n)
        }, signum), "uv_signal_start")
    }

    public func stop() {
        guard isOpen else { return }
        uv_signal_stop(raw)
    }

    public override func didClose() { callback = nil }
}
