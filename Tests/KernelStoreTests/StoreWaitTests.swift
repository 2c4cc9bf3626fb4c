import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// `run_waits` (migration 6): a waiting step's wait is stored, replaced as it resolves, read back
/// in step order, fenced on the run's holder, and deleted with its run by retention.
@Suite("Store: run waits")
@KernelActor
struct StoreWaitTests {
    @Test("save, resolve, read back, fence", arguments: Backend.enabled)
    func roundTrip(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        var run = Make.run("wf")
        run.status = .running
        run.owner = "me"
        _ = try await store.createRun(run, steps: [], audit: nil)
        let due = Timestamp(milliseconds: Timestamp.now().milliseconds + 10_000)
        var nap = RunWait(runID: run.id, stepID: "nap", attempt: 1, kind: "for", dueAt: due, createdAt: .now())
        let gate = RunWait(runID: run.id, stepID: "gate", attempt: 1, kind: "signal", signal: "approve",
                           inputs: ["sql": "DROP TABLE t"], createdAt: .now())
        try await store.saveRunWait(nap, heldBy: "me")
        try await store.saveRunWait(gate, heldBy: "me")
        var stored = try await store.runWaits(runID: run.id)
        #expect(stored.map(\.stepID) == ["gate", "nap"])
        #expect(stored.first == gate)
        #expect(stored.last?.dueAt == due && stored.last?.outcome == .open)
        nap.outcome = .woke
        nap.resolvedAt = Timestamp(milliseconds: due.milliseconds + 12)
        try await store.saveRunWait(nap, heldBy: "me")
        stored = try await store.runWaits(runID: run.id)
        #expect(stored.last == nap)
        // Another kernel cannot write the waits of a run it does not hold.
        await #expect(throws: KernelError.self) { try await store.saveRunWait(gate, heldBy: "other") }
        await #expect(throws: KernelError.self) {
            try await store.saveRunWait(RunWait(runID: "no-such-run", stepID: "x", attempt: 1, kind: "for", createdAt: .now()), heldBy: nil)
        }
    }
}
