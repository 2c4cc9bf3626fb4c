import CLibUV

/// Owns one `uv_loop_t`.
///
/// Loop-thread only: every method except `stop()` must be called from the
/// thread that runs the loop. `close()` succeeds only when every handle has
/// been closed, which is how tests prove that nothing leaks.
public final class Loop {
    public let raw: UnsafeMutablePointer<uv_loop_t>
    private var closed = false

    public init() throws {
        raw = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let rc = uv_loop_init(raw)
        if rc != 0 {
            raw.deallocate()
            throw UVError(rc, "uv_loop_init")
        }
    }

    public enum RunMode {
        case untilDone, once, noWait
        var uv: uv_run_mode {
            switch self {
            case .untilDone: return UV_RUN_DEFAULT
            case .once: return UV_RUN_ONCE
            case .noWait: return UV_RUN_NOWAIT
            }
        }
    }

    /// Runs the loop. Returns true if there are still active handles.
    @discardableResult
    public func run(_ mode: RunMode = .untilDone) -> Bool {
        uv_run(raw, mode.uv) != 0
    }

    /// Milliseconds of the loop's cached clock.
    public var now: UInt64 { uv_now(raw) }

    /// Number of handles not yet closed (active or not).
    public var openHandleCount: Int {
        var count = 0
        withUnsafeMutablePointer(to: &count) { ptr in
            uv_walk(raw, { _, arg in
                arg!.assumingMemoryBound(to: Int.self).pointee += 1
            }, ptr)
        }
        return count
    }

    /// Closes the loop. Throws `UV_EBUSY` while any handle is open.
    public func close() throws {
        guard !closed else { return }
        let rc = uv_loop_close(raw)
        if rc != 0 { throw UVError(rc, "uv_loop_close") }
        closed = true
        raw.deallocate()
    }

    /// Stops `run()` at the next iteration. Loop-thread only.
    public func stop() { uv_stop(raw) }
}

/// A libuv error code with the call that produced it.
public struct UVError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let call: String

    public init(_ code: Int32, _ call: String) {
        self.code = code
        self.call = call
    }

    public var name: String { String(cString: uv_err_name(code)) }
    public var message: String { String(cString: uv_strerror(code)) }
    public var description: String { "\(call): \(message) (\(name))" }
}

@inline(__always)
func check(_ rc: Int32, _ call: String) throws {
    if rc < 0 { throw UVError(rc, call) }
}
