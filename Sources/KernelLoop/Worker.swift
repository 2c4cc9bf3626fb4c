import Glibc

/// A dedicated thread running blocking work in order (one plugin object, the
/// SQLite writer). Results are delivered through `await`, which resumes the
/// caller on its own executor (the loop, for `KernelActor` code).
///
/// Not libuv's shared thread pool: a slow connector cannot starve file work.
///
/// Reclaiming: a thread that ends after `stop()` with nobody in `join()` detaches
/// itself, so its stack goes back to the C library when it returns. (A joinable thread
/// that is never joined keeps its stack mapped for ever: one per process step's
/// `ExecutorPlanner` was the soak's ~25 KiB of RSS per sandboxed step, issue 16.)
public final class WorkerThread: @unchecked Sendable {
    /// Who gives the thread's stack back once it ended.
    public enum Reclaim: Equatable, Sendable {
        /// Still running (or not yet reached the end of its queue after `stop()`).
        case pending
        /// Ended with nobody joining: detached itself.
        case detached
        /// Ended and `join()` reclaimed it.
        case joined
    }

    public let name: String
    private let lock = ConditionLock()
    private var queue: [() -> Void] = []
    private var stopping = false
    private var joining = false
    private var reclaim: Reclaim = .pending
    private var thread: pthread_t?

    public init(name: String) {
        self.name = name
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let worker = Unmanaged<WorkerThread>.fromOpaque(arg!).takeRetainedValue()
            worker.runLoop()
            return nil
        }, box)
        if rc == 0 { thread = tid } else { Unmanaged<WorkerThread>.fromOpaque(box).release() }
    }

    /// Where the thread is in its end (see the type's note on reclaiming).
    public var reclaimState: Reclaim { lock.withLock { reclaim } }

    private func runLoop() {
        while true {
            lock.lock()
            while queue.isEmpty && !stopping { lock.wait() }
            if queue.isEmpty && stopping {
                if !joining {
                    pthread_detach(pthread_self())
                    reclaim = .detached
                }
                lock.broadcast()
                lock.unlock()
                return
            }
            let job = queue.removeFirst()
            lock.unlock()
            job()
        }
    }

    /// Queues a job. Thread-safe.
    public func submit(_ job: @escaping () -> Void) {
        lock.withLock {
            queue.append(job)
            lock.signal()
        }
    }

/// Runs `body` on this thread and returns its result to the caller. `nonisolated(nonsending)`:
    /// the caller stays on its executor (the loop), so the result comes back with one hop instead
    /// of a detour through the global concurrent executor on each side.
    nonisolated(nonsending) public func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            submit {
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }
        }
    }

    /// Finishes queued jobs, then ends the thread, which then detaches itself (its stack
    /// is given back when it returns) unless someone is in `join()`.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    /// Stops and waits for the thread to end (not from the thread itself: then it only stops).
    /// Returns at once when the thread already ended and detached itself.
    public func join() {
        let target: pthread_t? = lock.withLock {
            stopping = true
            lock.broadcast()
            guard reclaim == .pending, let thread, pthread_equal(thread, pthread_self()) == 0 else { return nil }
            joining = true
            return thread
        }
        guard let target else { return }
        pthread_join(target, nil)
        lock.withLock { reclaim = .joined }
    }

    /// Stops and waits until the thread has run its last job and detached itself (or was
    /// joined), without joining it. Not from the thread itself.
    public func stopAndWaitUntilEnded() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            while reclaim == .pending && thread != nil { lock.wait() }
        }
    }
}

/// A fixed set of worker threads sharing one queue, for independent blocking
/// jobs (file I/O, DNS, checksums).
public final class WorkerPool: @unchecked Sendable {
    private let workers: [WorkerThread]
    private var next = 0
    private let lock = ConditionLock()

    public init(name: String, count: Int) {
        workers = (0..<max(1, count)).map { WorkerThread(name: "\(name)-\($0)") }
    }

    public func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        let w = lock.withLock { () -> WorkerThread in
            let w = workers[next % workers.count]
            next += 1
            return w
        }
        return try await w.run(body)
    }

    public func stop() { for w in workers { w.join() } }
}
