import KernelCore
import KernelLoop
import KernelStore
import Testing
@testable import KernelEngine

/// The journal's group commit through the engine (in-process Utility steps over the
/// in-memory run store, which keeps SQLStore's fences): one commit carries many steps' writes,
/// an event reaches subscribers only after the commit that stored it, per-run order holds
/// across commits, and a failed commit is retried without losing or doubling anything.
@Suite(.serialized) @KernelActor struct JournalTests {
    /// Independent in-process steps of the group-commit cases.
    static let independentSteps = 200

    func independentWorkflow(_ h: EngineHarness, _ name: String, steps: Int) {
        h.store.addComponent("merge-\(name)", .utility, ["operation": "merge"])
        h.store.addWorkflow(name, ["steps": .array((0..<steps).map {
            .object(JSONObject([("id", .string("u\($0)")), ("component", .string("merge-\(name)")), ("inputs", ["a": ["n": .int(Int64($0))]])]))
        })])
    }

    /// Every event of the run as subscribers see it, checking on delivery that it is stored.
    func subscribe(_ h: EngineHarness, _ runID: EntityID, delivered: @escaping (RunEvent, Bool) -> Void) async throws -> [JSON] {
        let (reply, _) = try await h.engine.subscribe(runID, after: 0) { e in
            delivered(e, h.store.eventLog[runID]?.contains { $0.seq == e.seq } == true)
            return true
        }
        return reply["events"]?.arrayValue ?? []
    }

    @Test("many steps' rows and events share one commit; each event is published only after it is stored")
    func groupCommitAndPublishAfterStore() async throws {
        let h = try await EngineHarness(maxConcurrentSteps: 8)
        independentWorkflow(h, "wide", steps: Self.independentSteps)
        let run = try await h.engine.submit(workflow: "wide", version: nil, inputs: [:], actor: "t")
        var seen: [Int64] = []
        var unstored: [Int64] = []
        let replayed = try await subscribe(h, run.id) { e, stored in
            seen.append(e.seq)
            if !stored { unstored.append(e.seq) }
        }
        await h.engine.waitUntilFinished(run.id)
        let stored = h.events(run.id)
        let replayedLast = replayed.last?["seq"]?.intValue ?? 0
        for _ in 0..<3000 where max(replayedLast, seen.last ?? 0) < Int64(stored.count) { await h.engine.sleep(ms: 10) }
        #expect(stored.map(\.seq) == Array(1...Int64(stored.count)))
        #expect(stored.last?.type == .end)
        #expect(unstored.isEmpty, "published before stored: \(unstored.prefix(10))")
        let all = replayed.compactMap { $0["seq"]?.intValue } + seen
        #expect(all == Array(1...Int64(stored.count)))
        // 200 steps write ~600 step-row versions and ~800 events; group commit needs far fewer commits.
        let rowWrites = Self.independentSteps * 3
        #expect(h.store.commitCalls * 2 < rowWrites, "\(h.store.commitCalls) commits for \(rowWrites) row writes")
        #expect(h.store.committed.contains { Set($0.steps.map(\.stepID)).count > 1 }, "a commit carries several steps' rows")
        // Rows are merged: one row per attempt per commit.
        for b in h.store.committed {
            let keys = b.steps.map { "\($0.runID)/\($0.stepID)/\($0.attempt)" }
            #expect(Set(keys).count == keys.count)
        }
        #expect(h.store.steps.values.filter { $0.runID == run.id && $0.status == .succeeded }.count == Self.independentSteps)
    }

    @Test("per-run order across commits: a dependant's start is committed no earlier than its need's result")
    func orderAcrossCommits() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge-chain", .utility, ["operation": "merge"])
        let chain = 20
        h.store.addWorkflow("chain", ["steps": .array((0..<chain).map { i in
            var o = JSONObject([("id", .string("s\(i)")), ("component", "merge-chain"), ("inputs", ["a": ["i": .int(Int64(i))]])])
            if i > 0 {
                o["needs"] = [.string("s\(i - 1)")]
                o["inputs"] = ["prev": .string("${steps.s\(i - 1).result}"), "a": ["i": .int(Int64(i))]]
            }
            return .object(o)
        })])
        let snap = try await h.runToEnd("chain")
        #expect(snap["status"] == "succeeded")
        // Results reached dependants in memory: the last step merged its need's result.
        #expect(snap.step("s\(chain - 1)")?["result"]?["i"] == .int(Int64(chain - 1)))
        // Commit index of each step's success row and of each step's running row.
        var succeededIn: [String: Int] = [:]
        var runningIn: [String: Int] = [:]
        var lastSeq: Int64 = 0
        for (i, b) in h.store.committed.enumerated() {
            for s in b.steps {
                if s.status == .succeeded { succeededIn[s.stepID] = succeededIn[s.stepID] ?? i }
            }
            for e in b.events {
                #expect(e.seq == lastSeq + 1, "events of one run are committed in seq order")
                lastSeq = e.seq
                if e.type == .statusChange, e.payload["status"] == "running", let step = e.stepID { runningIn[step] = runningIn[step] ?? i }
            }
        }
        for i in 1..<chain {
            let need = try #require(succeededIn["s\(i - 1)"]), start = try #require(runningIn["s\(i)"])
            #expect(need <= start, "s\(i) started in commit \(start) before s\(i - 1)'s result was committed (\(need))")
        }
    }

    @Test("a failing store: commits are retried in order; nothing is lost, doubled or published early")
    func failedCommitsAreRetried() async throws {
        let h = try await EngineHarness()
        independentWorkflow(h, "retry", steps: 20)
        h.store.failNextCommits = 3
        let run = try await h.engine.submit(workflow: "retry", version: nil, inputs: [:], actor: "t")
        var seen: [Int64] = []
        var unstored = 0
        let replayed = try await subscribe(h, run.id) { e, stored in
            seen.append(e.seq)
            if !stored { unstored += 1 }
        }
        await h.engine.waitUntilFinished(run.id)
        let stored = h.events(run.id)
        let replayedLast = replayed.last?["seq"]?.intValue ?? 0
        for _ in 0..<3000 where max(replayedLast, seen.last ?? 0) < Int64(stored.count) { await h.engine.sleep(ms: 10) }
        #expect(h.engine.journal.failedCommits == 3)
        #expect(stored.map(\.seq) == Array(1...Int64(stored.count)))
        #expect(stored.last?.type == .end)
        #expect(replayed.compactMap { $0["seq"]?.intValue } + seen == Array(1...Int64(stored.count)))
        #expect(unstored == 0)
        #expect(h.store.runs[run.id]?.status == .succeeded)
    }

    @Test("a run another kernel took over is refused in the batch; the other runs' writes still commit")
    func refusedRunDoesNotBlockOthers() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("hold", .utility, ["operation": "sleep"])
        h.store.addWorkflow("hold", ["steps": [["id": "h", "component": "hold", "inputs": ["ms": 400]]]])
        independentWorkflow(h, "other", steps: 5)
        let lost = try await h.engine.submit(workflow: "hold", version: nil, inputs: [:], actor: "t")
        await h.engine.journal.flushed()
        // Another kernel takes the run over while its step runs.
        h.store.runs[lost.id]?.owner = "kernel-b"
        let before = h.events(lost.id).count
        let other = try await h.engine.submit(workflow: "other", version: nil, inputs: [:], actor: "t")
        await h.engine.waitUntilFinished(other.id)
        await h.engine.waitUntilFinished(lost.id)
        #expect(h.store.runs[other.id]?.status == .succeeded)
        #expect(h.events(other.id).last?.type == .end)
        #expect(h.events(lost.id).count == before, "nothing more is written for a run this kernel lost")
        #expect(h.store.runs[lost.id]?.owner == "kernel-b")
        #expect(h.store.runs[lost.id]?.status != .succeeded)
    }
}
