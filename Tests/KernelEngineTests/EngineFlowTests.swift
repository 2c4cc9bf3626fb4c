import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelEngine

/// Issue 17 (engine half) in-process: forEach fan-out, waits and signals, nested workflows,
/// rerun and retry, over the in-memory run store with the tests' Utility executor.
@Suite(.serialized) @KernelActor struct EngineFlowTests {
    /// Largest number of items of `step` running at once, replayed from the event order.
    func maxRunning(_ events: [RunEvent], step: String) -> Int {
        var running = Set<String>(), most = 0
        for e in events where e.type == .statusChange {
            guard let id = e.stepID, id.hasPrefix(step + "["), let status = e.payload["status"]?.stringValue else { continue }
            if status == "running" { running.insert(id) } else { running.remove(id) }
            most = max(most, running.count)
        }
        return most
    }

    @Test func forEachTenThousandItemsComeBackInOrderWithinMaxParallel() async throws {
        let h = try await EngineHarness(maxConcurrentSteps: 16)
        h.store.addComponent("sleep", .utility, ["operation": "sleep"])
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addWorkflow("fan", ["steps": [
            ["id": "each", "component": "merge", "forEach": "${inputs.items}", "inputs": ["v": ["n": "${item}", "i": "${index}"]]],
            ["id": "slow", "component": "sleep", "forEach": "${inputs.few}", "maxParallel": 3, "inputs": ["ms": 2, "x": "${item}"]],
        ]])
        let n = 10_000
        let snap = try await h.runToEnd("fan", ["items": .array((0..<n).map { JSON($0 * 2) }), "few": .array((0..<12).map { JSON($0) })])
        #expect(snap["status"] == "succeeded")
        let results = try #require(snap.step("each")?["result"]?.arrayValue)
        #expect(results.count == n)
        #expect(results.enumerated().allSatisfy { $0.element["n"]?.intValue == Int64($0.offset * 2) && $0.element["i"]?.intValue == Int64($0.offset) })
        #expect(snap.step("each")?["items"]?.arrayValue?.count == n)
        #expect(snap.step("each")?["items"]?.arrayValue?[17]["id"] == "each[17]")
        let id = snap["id"]?.stringValue ?? ""
        #expect(maxRunning(h.events(id), step: "slow") == 3)
        #expect(snap.step("slow")?["result"]?.arrayValue?.map { $0["x"]?.intValue ?? -1 } == (0..<12).map { Int64($0) })
    }

    @Test func forEachWhenPerItemAndContinueOnErrorPerItem() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addComponent("broken", .utility, ["operation": "nope"])
        h.store.addWorkflow("pick", ["steps": [
            ["id": "odd", "component": "merge", "forEach": "${inputs.items}", "when": "${item} > 2", "inputs": ["v": ["x": "${item}"]]],
            ["id": "tolerant", "component": "broken", "forEach": "${inputs.items}", "continueOnError": true],
        ]])
        let snap = try await h.runToEnd("pick", ["items": [1, 2, 3, 4]])
        #expect(snap["status"] == "succeeded")
        #expect(snap.step("odd")?["result"] == [.null, .null, ["x": 3], ["x": 4]])
        #expect(snap.step("odd")?["items"]?.arrayValue?.map { $0["status"]?.stringValue ?? "" } == ["skipped", "skipped", "succeeded", "succeeded"])
        #expect(snap.step("tolerant")?["result"] == [.null, .null, .null, .null])
        #expect(snap.step("tolerant")?["items"]?.arrayValue?.allSatisfy { $0["status"] == "failed" } == true)

        h.store.addWorkflow("strict", ["steps": [["id": "each", "component": "broken", "forEach": "${inputs.items}", "maxParallel": 1]]])
        let failed = try await h.runToEnd("strict", ["items": [1, 2, 3]])
        #expect(failed["status"] == "failed")
        #expect(failed.step("each")?["error"]?.stringValue?.hasPrefix("item 0 failed: ") == true)
        // maxParallel 1: after item 0 failed no other item started.
        #expect(failed.step("each")?["items"]?.arrayValue?.count == 1)

        h.store.addWorkflow("notalist", ["steps": [["id": "each", "component": "merge", "forEach": "${inputs.items}"]]])
        let bad = try await h.runToEnd("notalist", ["items": "abc"])
        #expect(bad.step("each")?["error"] == "forEach: ${inputs.items} is a string, not a list")
    }

    @Test func waitForWakesAfterItsDueTimeAndHoldsNoSlot() async throws {
        let h = try await EngineHarness(maxConcurrentSteps: 1)
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addWorkflow("nap", ["steps": [
            ["id": "nap", "wait": ["for": "300ms"]],
            ["id": "work", "component": "merge", "inputs": ["v": ["ok": true]]],
            ["id": "after", "component": "merge", "needs": ["nap", "work"], "inputs": ["w": "${steps.nap.result}"]],
        ]])
        let snap = try await h.runToEnd("nap")
        #expect(snap["status"] == "succeeded")
        let r = try #require(snap.step("nap")?["result"])
        let due = try #require(r["due_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        let woke = try #require(r["woke_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        #expect(woke >= due)
        // The one step slot was free while `nap` waited: `work` finished before `nap` woke.
        let work = try #require(snap.step("work")?["finished_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        #expect(work < woke)
        #expect(snap["waits"]?.arrayValue?.first?["outcome"] == "woke")
    }

    @Test func signalResumesAnApprovalCheckedAgainstItsSchema() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addWorkflow("approve", ["steps": [
            ["id": "sql", "component": "merge", "inputs": ["v": ["sql": "DELETE FROM t"]]],
            ["id": "approve", "needs": ["sql"], "inputs": ["sql": "${steps.sql.result.sql}"],
             "wait": ["signal": "approve", "timeoutSeconds": 600,
                      "schema": ["type": "object", "required": ["approved"], "properties": ["approved": ["type": "boolean"]]]]],
            ["id": "run", "component": "merge", "needs": ["approve"], "when": "${steps.approve.result.payload.approved} == true",
             "inputs": ["v": ["ran": "${steps.sql.result.sql}"]]],
        ]])
        let run = try await h.engine.submit(workflow: "approve", version: nil, inputs: [:], actor: "test")
        var snap = try await h.engine.snapshot(run.id)
        for _ in 0..<500 where snap.step("approve")?["status"] != "waiting" {
            await h.engine.sleep(ms: 10)
            snap = try await h.engine.snapshot(run.id)
        }
        #expect(snap.step("approve")?["status"] == "waiting")
        #expect(snap["waits"]?.arrayValue?.first?["inputs"] == ["sql": "DELETE FROM t"])
        #expect(snap["waits"]?.arrayValue?.first?["signal"] == "approve")
        await #expect(throws: KernelError.self) { _ = try await h.engine.signal(run.id, name: "approve", payload: ["approved": "yes"], actor: "t") }
        await #expect(throws: KernelError.self) { _ = try await h.engine.signal(run.id, name: "other", payload: .null, actor: "t") }
        let reply = try await h.engine.signal(run.id, name: "approve", payload: ["approved": true], actor: "alice")
        #expect(reply["step"] == "approve")
        await h.engine.waitUntilFinished(run.id)
        let end = try await h.engine.snapshot(run.id)
        #expect(end["status"] == "succeeded")
        #expect(end.step("run")?["result"] == ["ran": "DELETE FROM t"])
        #expect(end.step("approve")?["result"]?["actor"] == "alice")
    }

    @Test func signalWaitTimesOut() async throws {
        let h = try await EngineHarness()
        h.store.addWorkflow("late", ["steps": [["id": "gate", "wait": ["signal": "go", "timeoutSeconds": 0.2]]]])
        let snap = try await h.runToEnd("late")
        #expect(snap["status"] == "timed_out")
        #expect(snap.step("gate")?["status"] == "timed_out")
        #expect(snap.step("gate")?["error"] == "signal 'go' not received within 0.2s")
    }

    @Test func nestedWorkflowRunsAsALinkedChildAndCancelPropagates() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addWorkflow("child", ["steps": [["id": "c", "component": "merge", "inputs": ["v": ["got": "${inputs.x}"]]]]])
        h.store.addWorkflow("parent", ["steps": [["id": "sub", "workflow": "child", "inputs": ["x": 42]]]])
        let snap = try await h.runToEnd("parent")
        #expect(snap["status"] == "succeeded")
        #expect(snap.step("sub")?["result"] == ["c": ["got": 42]])
        let childID = try #require(snap["waits"]?.arrayValue?.first?["child_run_id"]?.stringValue)
        let child = try await h.engine.snapshot(childID)
        #expect(child["status"] == "succeeded")
        #expect(child["trigger"]?["run"] == snap["id"])
        #expect(child["trigger"]?["step"] == "sub")

        h.store.addWorkflow("hold", ["steps": [["id": "gate", "wait": ["signal": "never"]]]])
        h.store.addWorkflow("outer", ["steps": [["id": "sub", "workflow": "hold"]]])
        let outer = try await h.engine.submit(workflow: "outer", version: nil, inputs: [:], actor: "test")
        var held = try await h.engine.snapshot(outer.id)
        for _ in 0..<500 where held["waits"]?.arrayValue?.first?["child_run_id"]?.stringValue == nil {
            await h.engine.sleep(ms: 10)
            held = try await h.engine.snapshot(outer.id)
        }
        let inner = try #require(held["waits"]?.arrayValue?.first?["child_run_id"]?.stringValue)
        _ = try await h.engine.cancel(outer.id)
        await h.engine.waitUntilFinished(outer.id)
        await h.engine.waitUntilFinished(inner)
        #expect(try await h.engine.snapshot(outer.id)["status"] == "cancelled")
        #expect(try await h.engine.snapshot(inner)["status"] == "cancelled")
    }

    @Test func rerunFromAStepReusesItsAncestorsAndRetryReopensTheRun() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        // s4 fans out over inputs.items: a string fails it ("not a list").
        let steps: [JSON] = (1...5).map { i in
            var o = JSONObject([("id", .string("s\(i)")), ("component", "merge"), ("inputs", ["v": ["n": JSON(i)]])])
            if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
            if i == 4 { o["forEach"] = "${inputs.items}" }
            return .object(o)
        }
        h.store.addWorkflow("five", ["steps": .array(steps)])
        let first = try await h.runToEnd("five", ["items": "nope"])
        #expect(first["status"] == "failed")
        let firstID = try #require(first["id"]?.stringValue)
        let again = try await h.engine.rerun(firstID, from: "s4", inputs: ["items": [1, 2]], actor: "test")
        await h.engine.waitUntilFinished(again.id)
        let snap = try await h.engine.snapshot(again.id)
        #expect(snap["status"] == "succeeded")
        #expect((snap["steps"]?.arrayValue ?? []).filter { $0["reused"] == true }.compactMap { $0["id"]?.stringValue } == ["s1", "s2", "s3"])
        #expect(snap["trigger"]?["id"] == .string(firstID))
        #expect(snap.step("s4")?["result"]?.arrayValue?.count == 2)
        #expect(snap["pinned"] == first["pinned"])
        await #expect(throws: KernelError.self) { _ = try await h.engine.rerun(firstID, from: "nope", inputs: nil, actor: "t") }

        // retry in place: s4 fails again with the same inputs, but the run reopened on attempt 2.
        let retried = try await h.engine.retry(firstID, step: "s4")
        #expect(retried.status == .running)
        await h.engine.waitUntilFinished(firstID)
        let after = try await h.engine.snapshot(firstID)
        #expect(after["status"] == "failed")
        #expect(after.step("s4")?["attempt"] == 2)
        #expect(after.step("s5")?["attempt"] == 2)
        await #expect(throws: KernelError.self) { _ = try await h.engine.retry(firstID, step: "s1") }
    }

    @Test func restartResumesAForEachMidwayAndReArmsAWait() async throws {
        let store = MemoryRunStore()
        let home = EngineHarness.makeTemp()
        let h1 = try await EngineHarness(store: store, home: home)
        store.addComponent("sleep", .utility, ["operation": "sleep"])
        store.addWorkflow("resume", ["steps": [
            ["id": "each", "component": "sleep", "forEach": "${inputs.items}", "maxParallel": 2,
             "retries": ["max": 1, "backoffSeconds": 0], "inputs": ["ms": 30, "x": "${item}"]],
            ["id": "gate", "wait": ["signal": "go"]],
        ]])
        let run = try await h1.engine.submit(workflow: "resume", version: nil, inputs: ["items": .array((0..<20).map { JSON($0) })], actor: "t")
        func settledItems() -> Int {
            (store.eventLog[run.id] ?? []).filter { $0.stepID?.hasPrefix("each[") == true && $0.payload["status"] == "succeeded" }.count
        }
        while settledItems() < 5 { await h1.engine.sleep(ms: 10) }
        await h1.engine.stop()
        #expect(store.runs[run.id]?.status == .running)
        let h2 = try await EngineHarness(store: store, home: home)
        var snap = try await h2.engine.snapshot(run.id)
        for _ in 0..<500 where snap.step("each")?["status"] != "succeeded" {
            await h2.engine.sleep(ms: 10)
            snap = try await h2.engine.snapshot(run.id)
        }
        #expect(snap.step("each")?["result"]?.arrayValue?.map { $0["x"]?.intValue ?? -1 } == (0..<20).map { Int64($0) })
        #expect(snap.step("gate")?["status"] == "waiting")
        _ = try await h2.engine.signal(run.id, name: "go", payload: .null, actor: "t")
        await h2.engine.waitUntilFinished(run.id)
        #expect(try await h2.engine.snapshot(run.id)["status"] == "succeeded")
    }

    /// `run.retry` of a failed `forEach` step starts every item again as new attempts (the
    /// earlier item rows stay as history), and a restart during that retry resumes from the
    /// current attempt's items only: an item the retry had not started yet runs again instead
    /// of being read as settled from the first try.
    @Test func retryOfAForEachKeepsItemHistoryAndARestartReadsOnlyTheCurrentAttempt() async throws {
        let store = MemoryRunStore()
        let home = EngineHarness.makeTemp()
        let h1 = try await EngineHarness(store: store, home: home)
        store.addComponent("sleep", .utility, ["operation": "sleep"])
        // The last item has no `ms`: its inputs fail, so the step (and run) fail every time.
        store.addWorkflow("fanretry", ["steps": [["id": "each", "component": "sleep", "forEach": "${inputs.items}", "maxParallel": 2,
                                                 "retries": ["max": 1, "backoffSeconds": 0], "inputs": ["ms": "${item.ms}"]]]])
        let items: [JSON] = Array(repeating: ["ms": 20], count: 12) + [[:]]
        let run = try await h1.engine.submit(workflow: "fanretry", version: nil, inputs: ["items": .array(items)], actor: "t")
        await h1.engine.waitUntilFinished(run.id)
        #expect(store.runs[run.id]?.status == .failed)
        func rows(_ i: Int) -> [StepRun] { store.steps.values.filter { $0.runID == run.id && $0.stepID == "each[\(i)]" }.sorted { $0.attempt < $1.attempt } }
        #expect(rows(0).map(\.attempt) == [1] && rows(0).first?.status == .succeeded)

        _ = try await h1.engine.retry(run.id, step: "each")
        // Items of the retry are numbered after the first try's (2 attempts per item): 3, 4.
        func settledInRetry() -> Int {
            (store.eventLog[run.id] ?? []).filter { $0.stepID?.hasPrefix("each[") == true && $0.payload["status"] == "succeeded"
                && ($0.payload["attempt"]?.intValue ?? 0) >= 3 }.count
        }
        while settledInRetry() < 3 { await h1.engine.sleep(ms: 5) }
        await h1.engine.stop()
        let h2 = try await EngineHarness(store: store, home: home)
        await h2.engine.waitUntilFinished(run.id)
        #expect(store.runs[run.id]?.status == .failed)
        // (Item 11 runs beside the failing item 12, so only items 0–10 are sure to succeed.)
        for i in 0..<12 {
            let r = rows(i), shown = r.map { "\($0.attempt):\($0.status.rawValue)" }
            #expect(r.first?.attempt == 1 && (i == 11 || r.first?.status == .succeeded), "each[\(i)] lost its first try: \(shown)")
            #expect(r.last.map { $0.attempt >= 3 && (i == 11 || $0.status == .succeeded) } == true, "each[\(i)] did not run again: \(shown)")
        }
        #expect(rows(12).last?.status == .failed && (rows(12).last?.attempt ?? 0) >= 3)
        let snap = try await h2.engine.snapshot(run.id)
        #expect(snap.step("each")?["attempt"] == 2)
    }
}
