import Glibc
import Testing
@testable import KernelLoop

/// Issue 16 (soak): a `WorkerThread` that is only stopped (an `ExecutorPlanner` per process
/// step) must give its stack back; a joinable thread nobody joins keeps it mapped for ever.
/// (The leak itself, two more /proc/self/maps lines per stopped worker, is measured in the soak,
/// docs/ARCHITECTURE.md: inside the parallel test process other suites' threads map and unmap
/// stacks too, so a maps count here is not the worker's alone.)
@Suite struct WorkerThreadTests {
    @Test func aStoppedWorkerDetachesItself() async throws {
        let worker = WorkerThread(name: "test-stopped")
        #expect(try await worker.run { 6 * 7 } == 42)
        #expect(worker.reclaimState == .pending)
        worker.stopAndWaitUntilEnded()
        #expect(worker.reclaimState == .detached)
        worker.join()  // already ended: returns at once, never joins a detached thread
        #expect(worker.reclaimState == .detached)
    }

    @Test func aJoinedWorkerIsJoined() async throws {
        let worker = WorkerThread(name: "test-joined")
        #expect(try await worker.run { 1 } == 1)
        worker.join()
        #expect(worker.reclaimState != .pending)
    }
}
