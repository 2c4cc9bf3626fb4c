import CLibUV
import Glibc

/// Diagnostic for a loop thread that stops turning (a job or a callback that
/// blocks it): every I/O wait and timer of the kernel is late by as long as
/// the stall lasts. Off unless `MCPK_LOOP_WATCHDOG_MS` names a stall threshold.
///
/// A repeating, unreferenced loop timer stamps a heartbeat every `beatMs`; a
/// thread of its own checks it every `checkMs` and, once per stall, writes
/// `mcpk: loop thread stalled …` to stderr. With `MCPK_LOOP_WATCHDOG_ABORT=1`
/// it then sends SIGABRT to the loop thread itself, so the Swift backtracer
/// prints where that thread was stuck (a debugging aid, never for production).
public final class LoopWatchdog: @unchecked Sendable {
    static let beatMs: UInt64 = 50
    static let checkMs: UInt32 = 100
    /// Smallest threshold accepted (below it a busy machine reports noise).
    static let minimumThresholdMs: UInt64 = 500

    let thresholdMs: UInt64
    let abortOnStall: Bool
    private let lock = ConditionLock()
    private var lastBeatNs: UInt64
    private var reported = false
    private var loopThread: pthread_t
    private var timer: Timer?

    private init(thresholdMs: UInt64, abortOnStall: Bool, loopThread: pthread_t) {
        self.thresholdMs = thresholdMs
        self.abortOnStall = abortOnStall
        self.loopThread = loopThread
        lastBeatNs = LoopWatchdog.nowNs()
    }

    static func nowNs() -> UInt64 { uv_hrtime() }

    /// The settings' names (a kernel resolves them through its `KernelConfiguration`).
    public static let thresholdSetting = "MCPK_LOOP_WATCHDOG_MS"
    public static let abortSetting = "MCPK_LOOP_WATCHDOG_ABORT"

    /// Starts the watchdog when the process environment configures it, as the loop thread
    /// starts (before any configuration exists: this is how a test process gets one). A kernel
    /// applies its resolved settings later (`LoopExecutor.startWatchdog`). Loop thread only.
    static func startIfConfigured(loop: Loop) -> LoopWatchdog? {
        guard let raw = getenv(thresholdSetting), let ms = UInt64(String(cString: raw)) else { return nil }
        let abort = getenv(abortSetting).map { String(cString: $0) == "1" } ?? false
        return start(loop: loop, thresholdMs: ms, abortOnStall: abort)
    }

    /// Starts a watchdog. Loop thread only (it creates the heartbeat timer).
    static func start(loop: Loop, thresholdMs ms: UInt64, abortOnStall abort: Bool) -> LoopWatchdog? {
        let w = LoopWatchdog(thresholdMs: max(ms, minimumThresholdMs), abortOnStall: abort, loopThread: pthread_self())
        guard let t = try? Timer(loop: loop) else { return nil }
        t.start(timeoutMs: beatMs, repeatMs: beatMs) { [unowned w] in w.beat() }
        t.ref(false)
        w.timer = t
        return DetachedThread.start({ w.watch() }) ? w : nil
    }

    private func beat() {
        lock.withLock {
            lastBeatNs = LoopWatchdog.nowNs()
            reported = false
        }
    }

    private func watch() {
        while true {
            usleep(LoopWatchdog.checkMs * 1000)
            let stalledMs = lock.withLock { () -> UInt64? in
                let ms = (LoopWatchdog.nowNs() &- lastBeatNs) / 1_000_000
                guard ms >= thresholdMs, !reported else { return nil }
                reported = true
                return ms
            }
            guard let stalledMs else { continue }
            let line = "mcpk: loop thread stalled for \(stalledMs) ms (MCPK_LOOP_WATCHDOG_MS=\(thresholdMs))\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            if abortOnStall { pthread_kill(loopThread, SIGABRT) }
        }
    }
}
