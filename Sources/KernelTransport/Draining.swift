import KernelLoop

/// A connection that can be asked to flush its queued output and close.
@KernelActor
protocol Draining: AnyObject {
    /// Finishes in-flight work, flushes, closes; `done` runs once closed.
    func finish(_ done: @escaping () -> Void)
    /// The callbacks of `finish` waiting for the close.
    var closeWaiters: [() -> Void] { get set }
}

extension Draining {
    /// Closes `stream` at once (dropping queued output); once it is closed, `closed` runs (the
    /// server forgets the connection), then every `finish` waiter.
    func close(_ stream: Handle, then closed: @escaping @KernelActor (Self) -> Void) {
        stream.close { [weak self] in
            KernelActor.assumeIsolated {
                guard let self else { return }
                closed(self)
                let waiters = self.closeWaiters
                self.closeWaiters = []
                for w in waiters { w() }
            }
        }
    }
}

/// Asks every connection to finish and returns when all have closed.
/// Shared by the socket and HTTP transports' shutdown.
@KernelActor
func finishAll(_ connections: [any Draining]) async {
    await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
        var remaining = connections.count
        if remaining == 0 { cont.resume(); return }
        for c in connections {
            c.finish {
                remaining -= 1
                if remaining == 0 { cont.resume() }
            }
        }
    }
}
