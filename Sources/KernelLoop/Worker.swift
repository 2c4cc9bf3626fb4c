import Glibc

/// A dedicated thread running blocking work in order (one plugin object, the
/// SQLite writer). Results are delivered through `await`, which resumes the
/// caller on its own executor (the loop, for `KernelActor` code).
///
/// Not libuv's shared thread pool: a slow connector cannot starve file work.
public final class WorkerThread: @unchecked Sendable {
    public let name: String
    private let lock = ConditionLock()
    private var queue: [() -> Void] = []
    private var stopping = false
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

    private func runLoop() {
        while true {
            lock.lock()
            while queue.isEmpty && !stopping { lock.wait() }
            if queue.isEmpty && stopping { lock.unlock(); return }
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

    /// Finishes queued jobs, then ends the thread.
    public func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    /// Stops and waits for the thread to end (not from the thread itself).
    public func join() {
        stop()
        if let thread, pthread_equal(thread, pthread_self()) == 0 { pthread_join(thread, nil) }
        thread = nil
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
