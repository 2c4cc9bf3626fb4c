import Glibc
import KernelCore
import KernelLoop

/// Cancellation of one statement on a shared connection. A connector's `cancel`
/// stops only a statement that is already running (one that lands earlier is a
/// no-op by contract) and calls on a connection run one at a time, so a single
/// `cancel` at the wrong moment is lost (the statement then runs to its end) or
/// stops another caller's statement. Here: cancelled before its turn, the
/// statement never starts; cancelled while it runs, the connector is asked again
/// every `repeatMilliseconds` until the call returns; nothing else is cancelled.
public final class StatementCancellation: @unchecked Sendable {
    public static let repeatMilliseconds: UInt64 = 50

    private enum Phase { case waiting, running, over }

    private let lock = ConditionLock()
    private var requested = false
    private var phase = Phase.waiting
    private var cancelRunning: (@Sendable () -> Void)?

    public init() {}

    /// Any thread, any number of times.
    public func cancel() {
        let first = lock.withLock { () -> Bool in
            defer { requested = true }
            return !requested
        }
        guard first else { return }
        startRepeating()
    }

    /// Asks again from a short-lived thread of its own, not a Swift task: the cooperative
    /// pool may be busy (or blocked) for seconds while the statement runs on.
    private func startRepeating() {
        let started = DetachedThread.start { [self] in
            while askAgain() { usleep(UInt32(StatementCancellation.repeatMilliseconds * 1000)) }
        }
        if !started { _ = askAgain() }  // no thread: at least one cancel for a running statement
    }

    /// One more cancel for the running statement (under the lock, so none lands after
    /// `end`); false when there is nothing (left) to cancel.
    private func askAgain() -> Bool {
        lock.withLock { () -> Bool in
            switch phase {
            case .waiting, .over: return false
            case .running:
                cancelRunning?()
                return true
            }
        }
    }

    /// The connection's thread, right before the statement: throws when it was
    /// cancelled already, else records how to cancel it while it runs.
    func begin(cancel: @escaping @Sendable () -> Void) throws {
        try lock.withLock {
            guard !requested else {
                phase = .over
                throw KernelError.conflict("cancelled before the statement started")
            }
            phase = .running
            cancelRunning = cancel
        }
    }

    /// The connection's thread, once the statement returned.
    func end() {
        lock.withLock {
            phase = .over
            cancelRunning = nil
        }
    }
}
