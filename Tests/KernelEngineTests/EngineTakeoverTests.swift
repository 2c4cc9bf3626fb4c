import Glibc
import Testing
import KernelCore
@testable import KernelEngine
import KernelLoop
import KernelStore
import Logging

/// Takeover of runs whose owner kernel died: several engines (distinct owners) on ONE real
/// SQLite file in one process, short leases; the catalogue comes from a MemoryRunStore.
@Suite(.serialized) @KernelActor struct EngineTakeoverTests {
    /// Short enough to expire during a test, long enough that a loaded machine (three stores
    /// on one SQLite file, busy CI) still renews a live kernel's lease in time.
    nonisolated static let lease: Int64 = 2000

    final class Node {
        let sql: SQLStore
        let engine: RunEngine
        init(sql: SQLStore, engine: RunEngine) { self.sql = sql; self.engine = engine }
    }

    static func node(_ url: String, home: String, owner: String, catalog: MemoryRunStore, lease: Int64 = lease) async throws -> Node {
        let sql = try await StoreFactory.open(url: url, home: home)
        var logger = Logger(label: "takeover-test-\(owner)")
        logger.logLevel = .warning
        let executors = ExecutorRegistry()
        executors.register(TestUtilityExecutor())
        let engine = RunEngine(configuration: .init(home: home + "/" + owner, owner: owner, maxConcurrentSteps: 2,
                                                    terminateGraceMilliseconds: 500, leaseMilliseconds: lease),
                               store: StoreRunStore(store: sql, logger: logger), catalog: catalog, executors: executors, logger: logger)
        try await engine.start()
        return Node(sql: sql, engine: engine)
    }

    static func waitTerminal(_ store: SQLStore, _ id: String, on engine: RunEngine, maxPolls: Int = 600) async throws -> WorkflowRun {
        for _ in 0..<maxPolls {
            let r = try await store.run(id)
            if r.status.isTerminal { return r }
            await engine.sleep(ms: 50)
        }
        return try await store.run(id)
    }

    @Test("a dead kernel's run is taken over by exactly one of two engines; the running step is retried, seqs continue")
    func deadOwnerTakenOverOnce() async throws {
        let home = EngineHarness.makeTemp()
        let url = "sqlite://\(home)/mcpk.db"
        let catalog = MemoryRunStore()
        let merge = catalog.addComponent("merge", .utility, ["operation": "merge"])
        let definition: JSON = ["steps": [
            ["id": "s1", "component": "merge", "inputs": ["x": ["a": 1]]],
            ["id": "s2", "component": "merge", "needs": ["s1"], "inputs": ["x": ["b": 2]], "retries": ["max": 1, "backoffSeconds": 0]],
            ["id": "s3", "component": "merge", "needs": ["s2"], "inputs": ["x": ["c": 3]]],
        ]]
        let wf = catalog.addWorkflow("three", definition)
        // The dead kernel's state: s1 done, s2 running (attempt 1), lease expired, 4 events.
        let seed = try await StoreFactory.open(url: url, home: home)
        let now = Timestamp.now()
        let pin: JSON = ["component": .string(merge.id), "version": 1, "type": .string(ComponentType.utility.rawValue)]
        let run = WorkflowRun(id: Identifier.uuid(), workflowID: wf.id, workflowVersion: 1, status: .running, inputs: [:],
                              pinned: ["s1": pin, "s2": pin, "s3": pin], createdAt: now, startedAt: now,
                              owner: "kernel-dead", leaseExpiresAt: Timestamp(milliseconds: now.milliseconds - 1))
        _ = try await seed.createRun(run, steps: [
            StepRun(runID: run.id, stepID: "s1", status: .succeeded, componentID: merge.id, componentVersion: 1, result: ["a": 1],
                    startedAt: now, finishedAt: now),
            StepRun(runID: run.id, stepID: "s2", status: .running, componentID: merge.id, componentVersion: 1, startedAt: now),
            StepRun(runID: run.id, stepID: "s3", componentID: merge.id, componentVersion: 1),
        ], audit: nil)
        try await seed.insertEvents((1...4).map { RunEvent(runID: run.id, seq: Int64($0), type: .log, payload: ["n": .int(Int64($0))], at: now) })

        // The seeded lease has expired already, so the lease length does not delay the takeover
        // (the sweep runs every lease/3); a longer one makes a lapse of the winner's own lease
        // (handled below) rarer when a loaded test process stalls.
        let b = try await Self.node(url, home: home, owner: "kernel-b", catalog: catalog, lease: 6000)
        let c = try await Self.node(url, home: home, owner: "kernel-c", catalog: catalog, lease: 6000)
        let done = try await Self.waitTerminal(seed, run.id, on: b.engine)
        #expect(done.status == .succeeded)
        await b.engine.journal.flushed(); await c.engine.journal.flushed()

        // Exactly one engine took the run over FROM THE DEAD KERNEL. A second takeover can only
        // be from that winner, after its own lease lapsed (the whole test process stalled past a
        // lease: every in-process test shares one loop) — a legitimate lapse, whose fenced-out
        // journal then never landed; it must never be a second takeover from the dead kernel.
        let audit = try await seed.listAudit(AuditQuery(actionType: "run.takeover"))
        let fromDead = audit.filter { $0.details["previous_owner"] == "kernel-dead" }
        #expect(fromDead.count == 1, "\(audit.map(\.details))")
        #expect(audit.allSatisfy { $0.entityID == run.id })
        let winner = fromDead.first?.actor ?? "none"
        #expect(b.engine.takeoverCount + c.engine.takeoverCount == audit.count)
        let lapsed = audit.count > 1
        if lapsed {
            #expect(audit.filter { $0.details["previous_owner"] != "kernel-dead" }.allSatisfy { $0.details["previous_owner"] == .string(winner) })
        } else {
            #expect(done.owner == winner)
        }

        let steps = try await seed.stepRuns(runID: run.id)
        let s2 = steps.filter { $0.stepID == "s2" }
        // One success, once (0 double completions); the interrupted attempt names whose lease went.
        #expect(s2.filter { $0.status == .succeeded }.count == 1 && s2.last?.status == .succeeded, "\(s2.map(\.status))")
        #expect(s2.map(\.attempt) == Array(1...s2.count))
        // After a lapse the winner's own interruption of attempt 1 may or may not have landed.
        let interrupted = ["interrupted: kernel kernel-dead lost its lease"] + (lapsed ? ["interrupted: kernel \(winner) lost its lease"] : [])
        #expect(interrupted.contains(s2.first?.error ?? ""), "\(s2.map(\.error))")
        if !lapsed { #expect(s2.map(\.status) == [.failed, .succeeded]) }
        #expect(steps.filter { $0.stepID == "s1" }.map(\.attempt) == [1])   // s1 kept its result, not re-run

        let events = try await seed.events(runID: run.id, after: 0, limit: 1000)
        #expect(events.map(\.seq) == Array(1...Int64(events.count)))
        #expect(events.last?.type == .end)
        let finalOwner = done.owner ?? "none"
        let from = lapsed ? winner : "kernel-dead"
        #expect(events.contains { $0.type == .log && $0.payload["line"]?.stringValue == "run taken over by kernel \(finalOwner) from kernel \(from) (lease expired)" },
                "\(events.filter { $0.type == .log }.map(\.payload))")

        await b.engine.stop(); await c.engine.stop()
        await seed.close(); await b.sql.close(); await c.sql.close()
    }

    @Test("a queued run whose owner died before starting it is taken over and run")
    func deadOwnersQueuedRunIsRun() async throws {
        let home = EngineHarness.makeTemp()
        let url = "sqlite://\(home)/mcpk.db"
        let catalog = MemoryRunStore()
        let merge = catalog.addComponent("merge", .utility, ["operation": "merge"])
        let wf = catalog.addWorkflow("one", ["steps": [["id": "s1", "component": "merge", "inputs": ["x": ["a": 1]]]]])
        let seed = try await StoreFactory.open(url: url, home: home)
        let now = Timestamp.now()
        let pin: JSON = ["component": .string(merge.id), "version": 1, "type": .string(ComponentType.utility.rawValue)]
        let run = WorkflowRun(id: Identifier.uuid(), workflowID: wf.id, workflowVersion: 1, status: .queued, inputs: [:],
                              pinned: ["s1": pin], createdAt: now, owner: "kernel-dead",
                              leaseExpiresAt: Timestamp(milliseconds: now.milliseconds - 1))
        _ = try await seed.createRun(run, steps: [StepRun(runID: run.id, stepID: "s1", componentID: merge.id, componentVersion: 1)], audit: nil)
        try await seed.insertEvents([RunEvent(runID: run.id, seq: 1, type: .statusChange, payload: ["entity": "run", "status": "queued"], at: now)])
        let b = try await Self.node(url, home: home, owner: "kernel-b", catalog: catalog)
        let done = try await Self.waitTerminal(seed, run.id, on: b.engine)
        #expect(done.status == .succeeded && done.owner == "kernel-b")
        #expect(b.engine.takeoverCount == 1)
        #expect(try await seed.stepRuns(runID: run.id).map(\.result) == [["a": 1]])
        await b.engine.journal.flushed()
        let events = try await seed.events(runID: run.id, after: 0, limit: 100)
        #expect(events.map(\.seq) == Array(1...Int64(events.count)))
        #expect(events.last?.type == .end)
        await b.engine.stop()
        await seed.close(); await b.sql.close()
    }

    @Test("a run whose owner is alive and renewing is never taken over (several lease periods)")
    func aliveOwnerKeepsItsRun() async throws {
        let home = EngineHarness.makeTemp()
        let url = "sqlite://\(home)/mcpk.db"
        let catalog = MemoryRunStore()
        catalog.addComponent("sleep", .utility, ["operation": "sleep"])
        // 2 × 3 s of steps = three lease periods (nine renewals).
        catalog.addWorkflow("slow", ["steps": [
            ["id": "a", "component": "sleep", "inputs": ["ms": 3000]],
            ["id": "b", "component": "sleep", "needs": ["a"], "inputs": ["ms": 3000]],
        ]])
        let a = try await Self.node(url, home: home, owner: "kernel-a", catalog: catalog)
        let b = try await Self.node(url, home: home, owner: "kernel-b", catalog: catalog)
        let run = try await a.engine.submit(workflow: "slow", version: nil, inputs: [:], actor: "test")
        await a.engine.waitUntilFinished(run.id)
        let done = try await a.sql.run(run.id)
        #expect(done.status == .succeeded)
        #expect(done.owner == "kernel-a")
        #expect(b.engine.takeoverCount == 0 && a.engine.takeoverCount == 0)
        #expect(try await a.sql.stepRuns(runID: run.id).map(\.attempt) == [1, 1])
        #expect(try await a.sql.listAudit(AuditQuery(actionType: "run.takeover")).isEmpty)
        let events = try await a.sql.events(runID: run.id, after: 0, limit: 1000)
        #expect(events.map(\.seq) == Array(1...Int64(events.count)))
        await a.engine.stop(); await b.engine.stop()
        await a.sql.close(); await b.sql.close()
    }
}

/// A kernel whose own lease renewals fail starts no new step until a renewal succeeds, and
/// then drops the runs another kernel took over meanwhile.
@Suite(.serialized) @KernelActor struct EngineLeaseLapseTests {
    static func status(_ h: EngineHarness, _ run: String, _ step: String) async throws -> String? {
        try await h.engine.snapshot(run).step(step)?["status"]?.stringValue
    }

    @Test("renewals failing for longer than the lease: the next step waits; renewals back: it runs")
    func lapsedLeaseStartsNoStep() async throws {
        let h = try await EngineHarness(owner: "kernel-a", leaseMilliseconds: 1000)
        h.store.addComponent("sleep", .utility, ["operation": "sleep"])
        h.store.addWorkflow("two", ["steps": [
            // Well past the 1000 ms lease, so a slow machine still notices the lapse before `a` ends.
            ["id": "a", "component": "sleep", "inputs": ["ms": 2500]],
            ["id": "b", "component": "sleep", "needs": ["a"], "inputs": ["ms": 1]],
        ]])
        h.store.failRenewals = true
        let run = try await h.engine.submit(workflow: "two", version: nil, inputs: [:], actor: "test")
        // `a` (already running) finishes after the lease lapsed: `b` is queued but not started.
        for _ in 0..<400 where try await Self.status(h, run.id, "a") != "succeeded" { await h.engine.sleep(ms: 20) }
        #expect(try await Self.status(h, run.id, "a") == "succeeded")
        await h.engine.sleep(ms: 600)
        #expect(h.engine.leaseLapsedNow)
        #expect(try await Self.status(h, run.id, "b") == "queued")
        #expect(h.engine.runningStepCount == 0)
        h.store.failRenewals = false
        await h.engine.waitUntilFinished(run.id)
        let done = try await h.engine.snapshot(run.id)
        #expect(done["status"] == "succeeded")
        #expect(!h.engine.leaseLapsedNow)
        await h.engine.stop()
    }

    @Test("a run taken over while this kernel's lease lapsed is dropped once renewals work again")
    func lostRunIsDropped() async throws {
        let h = try await EngineHarness(owner: "kernel-a", leaseMilliseconds: 1000)
        h.store.addComponent("sleep", .utility, ["operation": "sleep"])
        h.store.addWorkflow("long", ["steps": [
            // Still running when the takeover below happens (about one lease in), even on a slow machine.
            ["id": "a", "component": "sleep", "inputs": ["ms": 3000]],
            ["id": "b", "component": "sleep", "needs": ["a"], "inputs": ["ms": 1]],
        ]])
        h.store.failRenewals = true
        let run = try await h.engine.submit(workflow: "long", version: nil, inputs: [:], actor: "test")
        for _ in 0..<200 where !h.engine.leaseLapsedNow { await h.engine.sleep(ms: 20) }
        // Another kernel takes the run over in the store meanwhile.
        for _ in 0..<200 where (h.store.runs[run.id]?.leaseExpiresAt ?? .now()) >= .now() { await h.engine.sleep(ms: 20) }
        let taken = try await h.store.takeOverRun(id: run.id, from: "kernel-a", owner: "kernel-b", leaseMilliseconds: 60_000, audit: nil)
        #expect(taken?.owner == "kernel-b")
        h.store.failRenewals = false
        for _ in 0..<200 where h.engine.activeRunCount > 0 { await h.engine.sleep(ms: 20) }
        #expect(h.engine.activeRunCount == 0)
        await h.engine.journal.flushed()
        // The kernel that lost the run wrote nothing over the new owner's row, and `b` never ran here.
        #expect(h.store.runs[run.id]?.owner == "kernel-b")
        #expect(h.store.runs[run.id]?.status == .running)
        // `a` finished on this kernel after the takeover: its row stays as the new owner found it.
        #expect(try await h.store.stepRuns(runID: run.id).filter { $0.stepID == "a" }.map(\.status) == [.running])
        let b = try await h.store.stepRuns(runID: run.id).filter { $0.stepID == "b" }
        #expect(b.count == 1 && [.pending, .queued].contains(b.first?.status))
        await h.engine.stop()
    }
}
