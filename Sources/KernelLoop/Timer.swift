import CLibUV

/// A `uv_timer_t`. Loop-thread only.
public final class Timer: Handle {
    private var callback: (() -> Void)?

    public init(loop: Loop) throws {
        super.init(loop: loop, type: UV_TIMER)
        let rc = uv_timer_init(loop.raw, UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_timer_t.self))
        if rc != 0 { discardUninitialized(); throw UVError(rc, "uv_timer_init") }
        adopt()
    }

    private var timer: UnsafeMutablePointer<uv_timer_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_timer_t.self)
    }

    /// Fires after `timeoutMs`, then every `repeatMs` if non-zero.
    public func start(timeoutMs: UInt64, repeatMs: UInt64 = 0, _ callback: @escaping () -> Void) {
        guard isOpen else { return }
        self.callback = callback
        uv_timer_start(timer, { t in
            Handle.owner(UnsafeMutableRawPointer(t), as: Timer.self)?.callback?()
        }, timeoutMs, repeatMs)
    }

    public func stop() {
        guard isOpen else { return }
        uv_timer_stop(timer)
    }

    public override func didClose() { callback = nil }

    /// A one-shot timer that closes itself after firing.
    @discardableResult
    public static func after(loop: Loop, ms: UInt64, _ callback: @escaping () -> Void) throws -> Timer {
        let t = try Timer(loop: loop)
        t.start(timeoutMs: ms) { [unowned t] in
            callback()
            t.close()
        }
        return t
    }
}
