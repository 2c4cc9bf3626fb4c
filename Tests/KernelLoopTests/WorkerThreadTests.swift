import Glibc
import Testing
@testable import KernelLoop

/// Issue 16 (soak): a `WorkerThread` that is only stopped (an `ExecutorPlanner` per process
/// step) must give its stack back; a joinable thread nobody joins keeps it mapped for ever.
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

    /// The leak itself: before the fix every stopped worker left its stack and guard page
    /// mapped (two more lines in /proc/self/maps per thread); now the stacks are reused.
    @Test func stoppedWorkersDoNotKeepTheirStacks() async throws {
        func mappings() throws -> Int {
            try #require(readFile("/proc/self/maps", limit: 64 << 20)).split(separator: "\n").count
        }
        let workers = 64
        let before = try mappings()
        for i in 0..<workers {
            let worker = WorkerThread(name: "test-reclaim-\(i)")
            _ = try await worker.run { i }
            worker.stopAndWaitUntilEnded()
        }
        let grown = try mappings() - before
        #expect(grown < workers / 2, "maps grew by \(grown) lines over \(workers) stopped workers")
    }
}
