import CLibUV
import Glibc

/// A Swift `SerialExecutor` that runs jobs on a libuv loop thread.
///
/// Jobs enqueued from any thread are appended to a locked queue and the loop
/// is woken with `uv_async_send`; the loop drains the queue in its async
/// callback. This makes the loop thread the one home of `KernelActor`: kernel
/// state needs no locks, and `await` on a worker's result hops back here.
public final class LoopExecutor: SerialExecutor, @unchecked Sendable {
    public let loop: Loop
    private var wake: Async?
    private let queueLock = ConditionLock()
    private var jobs: [UnownedJob] = []
    private var spare: [UnownedJob] = []
    private var thread: pthread_t?
    private var stopping = false
    /// `MCPK_LOOP_WATCHDOG_MS` diagnostics (nil unless configured).
    private var watchdog: LoopWatchdog?

    private init(loop: Loop) {
        self.loop = loop
    }

    /// Starts a loop on a new thread and returns its executor once ready.
    public static func startThread(name: String = "mcpk-loop") -> LoopExecutor {
        final class Start: @unchecked Sendable {
            var executor: LoopExecutor?
            let ready = ConditionLock()
        }
        let start = Start()
        let box = Unmanaged.passRetained(start).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let start = Unmanaged<Start>.fromOpaque(arg!).takeRetainedValue()
            guard let loop = try? Loop() else { fatalError("mcpk: cannot initialise the event loop") }
            let executor = LoopExecutor(loop: loop)
            executor.thread = pthread_self()
            executor.wake = try? Async(loop: loop) { [unowned executor] in executor.drain() }
            executor.watchdog = LoopWatchdog.startIfConfigured(loop: loop)
            start.ready.withLock {
                start.executor = executor
                start.ready.signal()
            }
            loop.run()
            try? loop.close()
            return nil
        }, box)
        precondition(rc == 0, "mcpk: cannot start the loop thread")
        start.ready.lock()
        while start.executor == nil { start.ready.wait() }
        start.ready.unlock()
        _ = name
        return start.executor!
    }

    /// Starts the loop watchdog with a kernel's resolved settings (flags > env > `.env`), unless
    /// one is running already (the environment started it with the same values). Loop thread only.
    public func startWatchdog(thresholdMs: UInt64, abortOnStall: Bool) {
        guard watchdog == nil else { return }
        watchdog = LoopWatchdog.start(loop: loop, thresholdMs: thresholdMs, abortOnStall: abortOnStall)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queueLock.withLock { jobs.append(unowned) }
        wake?.send()
    }

    /// Runs the jobs queued when the loop woke, then returns to the loop. Jobs
    /// enqueued meanwhile (by these jobs or by other threads) re-armed the
    /// async handle and run on the next iteration, after due timers and ready
    /// I/O: a steady stream of jobs must never starve sockets and timers (a
    /// drain that looped until the queue was empty could hold the loop for as
    /// long as the stream lasted, and every libpq wait behind it timed out).
    private func drain() {
        queueLock.lock()
        swap(&jobs, &spare)
        queueLock.unlock()
        for job in spare { job.runSynchronously(on: asUnownedSerialExecutor()) }
        spare.removeAll(keepingCapacity: true)
        // Closing the wake-up handle ends the loop: only once nothing is left to run.
        if queueLock.withLock({ stopping && jobs.isEmpty }) {
            wake?.close()
            wake = nil
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// True on the loop thread.
    public var isCurrent: Bool {
        guard let thread else { return false }
        return pthread_equal(pthread_self(), thread) != 0
    }

    public func checkIsolated() {
        precondition(isCurrent, "not on the kernel loop thread")
    }

    /// Lets the loop end once every other handle is closed. Thread-safe.
    public func stopWhenIdle() {
        queueLock.withLock { stopping = true }
        wake?.send()
    }

    /// Blocks the calling (non-loop) thread until the loop thread has exited.
    public func join() {
        guard let thread, !isCurrent else { return }
        pthread_join(thread, nil)
    }
}

/// The kernel's loop: one per process, started on first use.
public enum KernelRuntime {
    public static let executor: LoopExecutor = LoopExecutor.startThread()
    public static var loop: Loop { executor.loop }
}

/// Everything that touches kernel state runs on this actor, which is the
/// libuv loop thread.
@globalActor
public actor KernelActor {
    public static let shared = KernelActor()

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        KernelRuntime.executor.asUnownedSerialExecutor()
    }

    /// Runs `body` on the loop thread from a libuv callback (already on it).
    public static func assumeIsolated<T>(_ body: @KernelActor () throws -> T) rethrows -> T {
        typealias Body = () throws -> T
        precondition(KernelRuntime.executor.isCurrent, "not on the kernel loop thread")
        return try withoutActuallyEscaping(body) { fn in
            try unsafeBitCast(fn, to: Body.self)()
        }
    }
}
