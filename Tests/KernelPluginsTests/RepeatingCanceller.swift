import Glibc
import KernelLoop
import KernelPlugins

/// Cancels a connection every few milliseconds from another thread until
/// stopped: a cancel that lands before the statement starts is a no-op by
/// contract, so a test must keep asking until the statement is running.
final class RepeatingCanceller: @unchecked Sendable {
    private let thread = WorkerThread(name: "canceller")
    private let lock = ConditionLock()
    private var stopped = false

    init(_ conn: PluginConnection, firstAfterMs: UInt32 = 100, everyMs: UInt32 = 50) {
        thread.submit { [self] in
            usleep(firstAfterMs * 1000)
            while !lock.withLock({ stopped }) {
                conn.cancel()
                usleep(everyMs * 1000)
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        thread.join()
    }
}
