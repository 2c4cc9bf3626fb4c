import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// Takeover of runs whose owner kernel died: the sweep query and the atomic claim, on both stores.
@Suite("Store: takeover of expired runs")
@KernelActor
struct StoreTakeoverTests {
    @Test("expiredRuns lists only other kernels' unfinished runs with an expired lease", arguments: Backend.enabled)
    func sweepQuery(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let now = Timestamp.now().milliseconds
        func make(_ status: RunStatus, owner: String?, leaseIn: Int64?, at i: Int64) async throws -> String {
            var r = Make.run("wf", at: Timestamp(milliseconds: now - 1000 + i))
            r.status = status
            r.owner = owner
            r.leaseExpiresAt = leaseIn.map { Timestamp(milliseconds: now + $0) }
            _ = try await store.createRun(r, steps: [], audit: nil)
            return r.id
        }
        let deadRunning = try await make(.running, owner: "dead", leaseIn: -5000, at: 0)
        let deadQueued = try await make(.queued, owner: "dead", leaseIn: -5000, at: 1)
        _ = try await make(.running, owner: "alive", leaseIn: 3_600_000, at: 2)      // lease valid (an hour: a loaded run can stall a minute)
        _ = try await make(.running, owner: "me", leaseIn: -5000, at: 3)             // my own: recovery's job
        _ = try await make(.succeeded, owner: "dead", leaseIn: -5000, at: 4)         // finished
        _ = try await make(.queued, owner: nil, leaseIn: nil, at: 5)                 // never owned
        let found = try await store.expiredRuns(excludingOwner: "me", limit: 10)
        #expect(found.map(\.id) == [deadRunning, deadQueued])
        #expect(try await store.expiredRuns(excludingOwner: "me", limit: 1).map(\.id) == [deadRunning])
        // The dead kernel's own id sees only the other kernels' runs (here: "me"'s expired one).
        #expect(try await store.expiredRuns(excludingOwner: "dead", limit: 10).map(\.owner) == ["me"])
    }

    @Test("takeOverRun: one winner among two stores, audit in the same transaction, fenced saves", arguments: Backend.enabled)
    func oneWinner(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let a = try await fx.open()
        let b = try await fx.open()
        defer { Task { await a.close(); await b.close() } }
        let now = Timestamp.now().milliseconds
        var ids: [String] = []
        for i in 0..<20 {
            var r = Make.run("wf", at: Timestamp(milliseconds: now + Int64(i)))
            r.status = .running
            r.owner = "dead"
            r.leaseExpiresAt = Timestamp(milliseconds: now - 1)
            _ = try await a.createRun(r, steps: [], audit: nil)
            ids.append(r.id)
        }
        @Sendable func sweep(_ store: SQLStore, _ owner: String) async throws -> [String] {
            var won: [String] = []
            for r in try await store.expiredRuns(excludingOwner: owner, limit: 100) {
                let audit = ActionLog(id: Identifier.uuid(), at: .now(), actor: owner, actionType: "run.takeover",
                                      entityType: "workflow_run", entityID: r.id, details: ["previous_owner": "dead"])
                if let t = try await store.takeOverRun(id: r.id, from: "dead", owner: owner, leaseMilliseconds: 60_000, audit: audit) {
                    #expect(t.owner == owner)
                    won.append(r.id)
                }
            }
            return won
        }
        async let fromA = sweep(a, "kernel-a")
        async let fromB = sweep(b, "kernel-b")
        let (wa, wb) = try await (fromA, fromB)
        #expect(Set(wa).isDisjoint(with: Set(wb)))
        #expect(Set(wa).union(wb) == Set(ids))
        // Exactly one audit entry per run, by the winner.
        let audits = try await a.listAudit(AuditQuery(actionType: "run.takeover", limit: 100))
        #expect(audits.count == ids.count)
        for e in audits { #expect(e.actor == (wa.contains(e.entityID) ? "kernel-a" : "kernel-b")) }
        // A run whose lease is valid is not taken over, not even by its previous owner's id.
        let first = ids[0]
        let holder = wa.contains(first) ? "kernel-a" : "kernel-b"
        #expect(try await a.takeOverRun(id: first, from: holder, owner: "kernel-c", leaseMilliseconds: 1000, audit: nil) == nil)
        #expect(try await a.expiredRuns(excludingOwner: "kernel-c", limit: 100).isEmpty)
        // The loser's save is refused (fenced); the holder's save keeps the lease.
        var stale = try await a.run(first)
        stale.owner = "dead"
        stale.error = "written by the dead kernel"
        do {
            try await a.saveRun(stale)
            Issue.record("a kernel that lost the run overwrote it")
        } catch let e as KernelError {
            #expect(e.kind == .conflict, "\(e)")
        }
        // Step rows too: the previous owner's write is refused, the holder's lands.
        let row = StepRun(runID: first, stepID: "s1", status: .succeeded, componentID: "c", componentVersion: 1, result: ["late": true])
        do {
            try await b.saveStepRun(row, heldBy: "dead")
            Issue.record("a kernel that lost the run overwrote a step row")
        } catch let e as KernelError {
            #expect(e.kind == .conflict, "\(e)")
        }
        #expect(try await a.stepRuns(runID: first).isEmpty)
        try await b.saveStepRun(row, heldBy: holder)
        #expect(try await a.stepRuns(runID: first).map(\.result) == [["late": true]])
        var mine = try await a.run(first)
        let lease = mine.leaseExpiresAt
        mine.leaseExpiresAt = Timestamp(milliseconds: 1)   // a stale in-memory copy
        mine.startedAt = .now()
        try await a.saveRun(mine)
        let back = try await a.run(first)
        #expect(back.owner == holder && back.error == nil && back.leaseExpiresAt == lease)
    }
}
