import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// `commitJournal`, the engine's group commit, on both backends: one transaction for several
/// runs' rows and events, each run fenced on its own, nothing written when the transaction fails.
@Suite("Store: the journal's group commit (both backends)")
@KernelActor
struct StoreJournalTests {
    func ev(_ run: String, _ seq: Int64, _ type: RunEvent.Kind = .log) -> RunEvent {
        RunEvent(runID: run, seq: seq, type: type, stepID: "s", payload: ["n": .int(seq)], at: .now())
    }

    func owned(_ owner: String) -> WorkflowRun {
        var r = Make.run("wf")
        r.owner = owner
        r.leaseExpiresAt = Timestamp(milliseconds: Timestamp.now().milliseconds + 60_000)
        return r
    }

    func step(_ run: String, _ id: String, _ status: StepStatus, attempt: Int = 1, result: JSON = .null) -> StepRun {
        var s = StepRun(runID: run, stepID: id, attempt: attempt, componentID: "c", componentVersion: 1)
        s.status = status
        s.result = result
        return s
    }

    @Test("run rows, step rows and events of several runs land in one commit; the last row per attempt wins", arguments: Backend.enabled)
    func batchedWrite(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let a = owned("k1"), b = owned("k1")
        _ = try await store.createRun(a, steps: [step(a.id, "x", .pending), step(a.id, "y", .pending)], audit: nil)
        _ = try await store.createRun(b, steps: [step(b.id, "x", .pending)], audit: nil)
        var ra = a
        ra.status = .running
        ra.startedAt = .now()
        let steps = [step(a.id, "x", .queued), step(b.id, "x", .running), step(a.id, "x", .running),
                     step(a.id, "x", .succeeded, result: ["v": 1]), step(a.id, "y", .queued)]
        let batch = JournalBatch(owner: "k1", runs: [ra], steps: steps,
                                 events: [ev(a.id, 1), ev(b.id, 1), ev(a.id, 2), ev(b.id, 2), ev(a.id, 3, .result)])
        let outcome = try await store.commitJournal(batch)
        #expect(outcome.refused.isEmpty)
        #expect(try await store.run(a.id).status == .running)
        #expect(try await store.run(a.id).leaseExpiresAt == a.leaseExpiresAt, "a live lease is not moved")
        #expect(try await store.lastEventSeq(runID: a.id) == 3)
        #expect(try await store.lastEventSeq(runID: b.id) == 2)
        #expect(try await store.events(runID: a.id, after: 0, limit: 10).map(\.seq) == [1, 2, 3])
        let rows = try await store.stepRuns(runID: a.id)
        #expect(rows.map(\.status) == [.succeeded, .queued])
        #expect(rows.first?.result == ["v": 1])
        #expect(try await store.stepRuns(runID: b.id).map(\.status) == [.running])
        // A second commit continues both sequences; an empty batch is a no-op.
        _ = try await store.commitJournal(JournalBatch(owner: "k1", events: [ev(a.id, 4), ev(b.id, 3, .end)]))
        #expect(try await store.commitJournal(JournalBatch(owner: "k1")).refused.isEmpty)
        #expect(try await store.lastEventSeq(runID: b.id) == 3)
        // Store-assigned appends continue the same sequence.
        #expect(try await store.appendEvents([NewRunEvent(runID: a.id, type: .log, payload: [:])]).map(\.seq) == [5])
        // A finished run clears its lease.
        var done = ra
        done.status = .succeeded
        done.leaseExpiresAt = nil
        _ = try await store.commitJournal(JournalBatch(owner: "k1", runs: [done], events: [ev(a.id, 6, .end)]))
        #expect(try await store.run(a.id).leaseExpiresAt == nil)
        #expect(try await store.run(a.id).status == .succeeded)
    }

    @Test("fences per run: another owner, a seq gap or repeat, a non-contiguous run, an unknown run are refused whole; the rest commits",
          arguments: Backend.enabled)
    func fencedPerRun(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let mine = owned("k1"), theirs = owned("k2"), gap = owned("k1"), broken = owned("k1"), free = Make.run("wf")
        for r in [mine, theirs, gap, broken, free] { _ = try await store.createRun(r, steps: [step(r.id, "x", .pending)], audit: nil) }
        var theirsRow = theirs
        theirsRow.status = .running
        theirsRow.owner = "k1"
        let ghost = Identifier.uuid()
        let batch = JournalBatch(
            owner: "k1", runs: [theirsRow],
            steps: [step(mine.id, "x", .running), step(theirs.id, "x", .running), step(gap.id, "x", .running),
                    step(broken.id, "x", .running), step(free.id, "x", .running)],
            events: [ev(mine.id, 1), ev(theirs.id, 1), ev(gap.id, 2), ev(broken.id, 1), ev(broken.id, 3), ev(free.id, 1), ev(ghost, 1)])
        let outcome = try await store.commitJournal(batch)
        #expect(Set(outcome.refused.keys) == [theirs.id, gap.id, broken.id, ghost])
        #expect(outcome.refused[theirs.id]?.kind == .conflict)
        #expect(outcome.refused[theirs.id]?.message.contains("k2") == true)
        #expect(outcome.refused[gap.id]?.kind == .conflict)
        #expect(outcome.refused[broken.id]?.kind == .conflict)
        #expect(outcome.refused[ghost]?.kind == .notFound)
        // Refused runs: untouched (row, owner, steps, events).
        #expect(try await store.run(theirs.id).owner == "k2")
        #expect(try await store.run(theirs.id).status == .queued)
        for id in [theirs.id, gap.id, broken.id] {
            #expect(try await store.stepRuns(runID: id).map(\.status) == [.pending])
            #expect(try await store.lastEventSeq(runID: id) == 0)
        }
        // Accepted runs: written (a run nobody holds is writable too).
        for id in [mine.id, free.id] {
            #expect(try await store.stepRuns(runID: id).map(\.status) == [.running])
            #expect(try await store.lastEventSeq(runID: id) == 1)
        }
        // A repeat is refused like a gap.
        let again = try await store.commitJournal(JournalBatch(owner: "k1", events: [ev(mine.id, 1)]))
        #expect(again.refused[mine.id]?.kind == .conflict)
        #expect(try await store.events(runID: mine.id, after: 0, limit: 10).count == 1)
    }

    @Test("a transaction that fails midway writes nothing of any run", arguments: Backend.enabled)
    func failedTransactionWritesNothing(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let a = owned("k1"), b = owned("k1")
        _ = try await store.createRun(a, steps: [step(a.id, "x", .pending)], audit: nil)
        _ = try await store.createRun(b, steps: [step(b.id, "x", .pending)], audit: nil)
        // A stray row at b's next seq (written behind the counter's back): b passes the fence,
        // then its event insert violates the primary key, late in the transaction.
        _ = try await store.database.write { tx in
            try await tx.execute("INSERT INTO run_events (\(SQLStore.eventColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                                 [.text(b.id), .int(1), .text("log"), .null, .json([:]), .time(.now())])
        }
        var ra = a
        ra.status = .running
        let batch = JournalBatch(owner: "k1", runs: [ra], steps: [step(a.id, "x", .running), step(b.id, "x", .running)],
                                 events: [ev(a.id, 1), ev(b.id, 1)])
        do {
            _ = try await store.commitJournal(batch)
            Issue.record("a batch whose insert fails committed")
        } catch let e as KernelError {
            #expect(e.kind != .notFound, "\(e)")
        }
        #expect(try await store.run(a.id).status == .queued)
        #expect(try await store.stepRuns(runID: a.id).map(\.status) == [.pending])
        #expect(try await store.stepRuns(runID: b.id).map(\.status) == [.pending])
        #expect(try await store.lastEventSeq(runID: a.id) == 0)
        #expect(try await store.lastEventSeq(runID: b.id) == 0)
        #expect(try await store.events(runID: a.id, after: 0, limit: 10).isEmpty)
        // The same writes without the stray row's run commit.
        let retry = JournalBatch(owner: "k1", runs: [ra], steps: [step(a.id, "x", .running)], events: [ev(a.id, 1)])
        #expect(try await store.commitJournal(retry).refused.isEmpty)
        #expect(try await store.lastEventSeq(runID: a.id) == 1)
    }
}
