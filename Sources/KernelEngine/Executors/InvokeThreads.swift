import KernelLoop

/// The plugin threads `invoke` steps run on, reused across attempts: an attempt takes an idle
/// thread (or starts one), holds it until the plugin returns (an abandoned invoke keeps it that
/// long), then gives it back. At most `maxIdle` idle threads are kept; the rest are stopped.
/// One invoke per thread at a time, as before (a thread per attempt cost a `pthread_create`
/// per step, and the threads were never joined).
@KernelActor
final class InvokeThreads {
    /// Idle invoke threads kept for reuse at most.
    static let maxIdle = 16

    private var idle: [WorkerThread] = []
    private var started = 0

    /// An idle thread, or a new one.
    func take() -> WorkerThread {
        if let t = idle.popLast() { return t }
        started += 1
        return WorkerThread(name: "mcpk-invoke-\(started)")
    }

    /// Returns a thread whose invoke has returned.
    func give(_ thread: WorkerThread) {
        if idle.count < InvokeThreads.maxIdle { idle.append(thread) } else { thread.stop() }
    }

    var idleCount: Int { idle.count }
}
