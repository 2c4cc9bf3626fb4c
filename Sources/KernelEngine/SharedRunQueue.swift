import KernelCore
import KernelLoop

/// The shared queue several kernels on one PostgreSQL claim runs from (the `Store`'s queue
/// methods, seen by the engine). A kernel without one (SQLite, in-memory tests) runs what it is
/// submitted itself, as a single kernel.
@KernelActor
public protocol SharedRunQueue: AnyObject {
    /// Claims up to `limit` free queued runs (one transaction, `SKIP LOCKED`, workflow limits held across kernels).
    func claimQueuedRuns(owner: String, leaseMilliseconds: Int64, limit: Int) async throws -> [WorkflowRun]
    /// A clean stop hands the runs `owner` holds back (queued: unowned; running: lease expired now).
    func handBackRuns(owner: String) async throws -> (queued: Int, running: Int)
    /// Wakes the other kernels (NOTIFY on the queue channel).
    func notifyQueue(_ payload: String) async throws
    /// This kernel's heartbeat row.
    func recordKernel(_ kernel: KernelRecord) async throws
}
