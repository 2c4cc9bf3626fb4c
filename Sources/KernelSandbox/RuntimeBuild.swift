import KernelCore
import KernelLoop

/// One runtime build in flight, shared by everyone waiting for it: each waiter listens to
/// its events (log lines, progress) from the moment it joined until the build ends, or until
/// it stops waiting (a cancelled step) — the build itself goes on for the others.
@KernelActor
final class RuntimeBuild {
    private var listeners: [Int: @KernelActor (StepEvent) -> Void] = [:]
    private var waiters: [Int: CheckedContinuation<Void, Error>] = [:]
    private var nextListener = 0
    private var result: Result<Void, Error>?

    func emit(_ e: StepEvent) {
        for id in listeners.keys.sorted() { listeners[id]?(e) }
    }

    /// Ends the build: every waiter gets `r`.
    func finish(_ r: Result<Void, Error>) {
        result = r
        let w = waiters
        waiters = [:]
        listeners = [:]
        for id in w.keys.sorted() { w[id]?.resume(with: r) }
    }

    /// Waits for the end with `onEvent` listening meanwhile. `onWaiting` receives a function
    /// that stops this wait at once (it then throws `conflict: cancelled`).
    func join(_ onEvent: @escaping @KernelActor (StepEvent) -> Void,
              onWaiting: ((@escaping @KernelActor () -> Void) -> Void)? = nil) async throws {
        if let result { return try result.get() }
        nextListener += 1
        let id = nextListener
        listeners[id] = onEvent
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            waiters[id] = c
            onWaiting?({ [weak self] in self?.stopWaiting(id) })
        }
    }

    private func stopWaiting(_ id: Int) {
        listeners[id] = nil
        waiters.removeValue(forKey: id)?.resume(throwing: KernelError.conflict("cancelled while waiting for the step runtime build"))
    }
}
