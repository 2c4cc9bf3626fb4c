import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelEngine

/// The engine in-process with real Python step processes over an in-memory run store.
@Suite(.serialized) @KernelActor struct EngineTests {
    static let sleepStep = """
    import time
    def main(label, seconds=0.4, **rest):
        start = time.time()
        time.sleep(seconds)
        return {"label": label, "start": start, "end": time.time()}
    """

    /// How long each middle step of the diamond sleeps: long enough that the engine reports both
    /// running before either ends, even when two sandboxed Python starts are seconds apart under load.
    static let parallelStepSeconds = 3.0
    /// Polls (10 ms) for both subscribers to have seen the end event after the run finished: 30 s.
    static let subscriberEndRounds = 3000

    @Test func diamondRunsMiddleStepsInParallelAndJoins() async throws {
        let h = try await EngineHarness(maxConcurrentSteps: 4)
        h.python("sleepy", Self.sleepStep)
        h.python("join", "def main(left, right):\n    return {'labels': [left['label'], right['label']]}\n")
        h.store.addWorkflow("diamond", ["steps": [
            ["id": "a", "component": "sleepy", "inputs": ["label": "a", "seconds": 0.05]],
            ["id": "b", "component": "sleepy", "needs": ["a"], "inputs": ["label": "b", "seconds": .double(Self.parallelStepSeconds)]],
            ["id": "c", "component": "sleepy", "needs": ["a"], "inputs": ["label": "c", "seconds": .double(Self.parallelStepSeconds)]],
            ["id": "d", "component": "join", "needs": ["b", "c"], "inputs": ["left": "${steps.b.result}", "right": "${steps.c.result}"]],
        ]])
        let snap = try await h.runToEnd("diamond")
        #expect(snap["status"] == "succeeded")
        // Parallel in the engine's own order of events (not the steps' clocks, which a loaded
        // machine skews by seconds): both middle steps were running before either finished.
        let changes = h.events(snap["id"]?.stringValue ?? "").filter { $0.type == .statusChange && ($0.stepID == "b" || $0.stepID == "c") }
        let firstRunning = { (step: String) in changes.firstIndex { $0.stepID == step && $0.payload["status"] == "running" } }
        let firstEnd = changes.firstIndex { $0.payload["status"] == "succeeded" }
        let (br, cr) = (try #require(firstRunning("b")), try #require(firstRunning("c")))
        #expect(max(br, cr) < (try #require(firstEnd)), "both middle steps were running before either ended")
        #expect(snap["outputs"] == ["d": ["labels": ["b", "c"]]])
        let seqs = h.events(snap["id"]?.stringValue ?? "").map(\.seq)
        #expect(seqs == Array(1...Int64(seqs.count)))
        #expect(h.events(snap["id"]?.stringValue ?? "").last?.type == .end)
    }

    @Test func retriesWithBackoffUntilThirdAttemptSucceeds() async throws {
        let h = try await EngineHarness()
        h.python("flaky", """
        import os
        def main():
            n = int(os.environ["MCPK_ATTEMPT"])
            if n < 3:
                raise ValueError("boom %d" % n)
            return {"attempt": n}
        """)
        h.store.addWorkflow("flaky", ["steps": [["id": "f", "component": "flaky",
                                                  "retries": ["max": 3, "backoffSeconds": 0.05, "factor": 2]]]])
        let snap = try await h.runToEnd("flaky")
        #expect(snap["status"] == "succeeded")
        let f = try #require(snap.step("f"))
        #expect(f["attempt"] == 3)
        #expect(f["result"] == ["attempt": 3])
        let attempts = f["attempts"]?.arrayValue ?? []
        #expect(attempts.map { $0["status"] } == ["failed", "failed", "succeeded"])
        let errors = f["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(errors.count == 2 && errors[0].contains("boom 1") && errors[1].contains("boom 2"))
        let statuses = h.events(snap["id"]?.stringValue ?? "").filter { $0.stepID == "f" && $0.type == .statusChange }.compactMap { $0.payload["status"]?.stringValue }
        #expect(statuses == ["queued", "running", "retrying", "queued", "running", "retrying", "queued", "running", "succeeded"])
    }

    @Test func timeoutKillsTheProcessGroup() async throws {
        let h = try await EngineHarness()
        h.python("hang", """
        import subprocess, time
        def main():
            # The grandchild keeps stdout open: the attempt only finishes once the whole group is gone.
            subprocess.Popen(["sleep", "60"])
            time.sleep(60)
        """)
        h.store.addWorkflow("hang", ["steps": [["id": "h", "component": "hang", "timeoutSeconds": 1]]])
        let snap = try await h.runToEnd("hang")
        #expect(snap["status"] == "timed_out")
        #expect(snap.step("h")?["status"] == "timed_out")
        #expect(snap.step("h")?["error"]?.stringValue?.contains("timed out") == true)
    }

    nonisolated static func isZombie(_ pid: Int32) -> Bool {
        guard let b = (try? WholeFile.bytes("/proc/\(pid)/stat", limit: 4096)) else { return true }
        let s = String(decoding: b, as: UTF8.self)
        guard let close = s.lastIndex(of: ")") else { return true }
        return s[s.index(close, offsetBy: 2)] == "Z"
    }

    @Test func cancelStopsRunningAndCancelsPendingIdempotently() async throws {
        let h = try await EngineHarness()
        h.python("sleepy", Self.sleepStep)
        h.store.addWorkflow("long", ["steps": [
            ["id": "a", "component": "sleepy", "inputs": ["label": "a", "seconds": 30]],
            ["id": "b", "component": "sleepy", "needs": ["a"], "inputs": ["label": "b"]],
        ]])
        let run = try await h.engine.submit(workflow: "long", version: nil, inputs: [:], actor: "test")
        while (h.store.eventLog[run.id] ?? []).contains(where: { $0.payload["status"] == "running" && $0.stepID == "a" }) == false {
            await h.engine.sleep(ms: 20)
        }
        _ = try await h.engine.cancel(run.id)
        _ = try await h.engine.cancel(run.id)
        await h.engine.waitUntilFinished(run.id)
        let again = try await h.engine.cancel(run.id)
        #expect(again.status == .cancelled)
        let snap = try await h.engine.snapshot(run.id)
        #expect(snap["status"] == "cancelled")
        #expect(snap.step("a")?["status"] == "cancelled")
        #expect(snap.step("b")?["status"] == "cancelled")
    }

    @Test func whenSkipsAStepAndItsDependants() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("merge", .utility, ["operation": "merge"])
        h.store.addWorkflow("when", ["inputs": ["type": "object", "properties": ["go": ["type": "boolean"]]], "steps": [
            ["id": "a", "component": "merge", "inputs": ["x": ["v": 1]]],
            ["id": "b", "component": "merge", "needs": ["a"], "when": "${inputs.go} == true", "inputs": ["y": "${steps.a.result}"]],
            ["id": "c", "component": "merge", "needs": ["b"], "inputs": ["z": ["w": 2]]],
            ["id": "d", "component": "merge", "needs": ["a"], "inputs": ["z": ["w": 3]]],
        ]])
        let snap = try await h.runToEnd("when", ["go": false])
        #expect(snap["status"] == "succeeded")
        #expect(snap.step("b")?["status"] == "skipped")
        #expect(snap.step("c")?["status"] == "skipped")
        #expect(snap.step("d")?["status"] == "succeeded")
        let ran = try await h.runToEnd("when", ["go": true])
        #expect(ran.step("c")?["status"] == "succeeded")
        await #expect(throws: KernelError.self) { try await h.engine.submit(workflow: "when", version: nil, inputs: ["go": "no"], actor: "t") }
    }

    @Test func continueOnErrorLetsTheRunSucceed() async throws {
        let h = try await EngineHarness()
        h.python("bad", "def main():\n    raise RuntimeError('expected failure')\n")
        h.python("good", "def main(**kw):\n    return {'ok': True}\n")
        h.store.addWorkflow("coe", ["steps": [
            ["id": "bad", "component": "bad", "continueOnError": true],
            ["id": "after", "component": "good", "needs": ["bad"]],
        ]])
        let snap = try await h.runToEnd("coe")
        #expect(snap["status"] == "succeeded")
        #expect(snap.step("bad")?["status"] == "failed")
        #expect(snap.step("bad")?["error"]?.stringValue?.contains("RuntimeError: expected failure") == true)
        #expect(snap.step("after")?["status"] == "succeeded")
        h.store.addWorkflow("fail", ["steps": [["id": "bad", "component": "bad"], ["id": "after", "component": "good", "needs": ["bad"]]]])
        let failed = try await h.runToEnd("fail")
        #expect(failed["status"] == "failed")
        #expect(failed.step("after")?["status"] == "cancelled")
    }

    @Test func workflowConcurrencyQueuesRunsInOrder() async throws {
        let h = try await EngineHarness(maxConcurrentSteps: 4)
        h.python("sleepy", Self.sleepStep)
        h.store.addWorkflow("one", ["concurrency": 1, "steps": [["id": "s", "component": "sleepy", "inputs": ["label": "x", "seconds": 0.2]]]])
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await h.engine.submit(workflow: "one", version: nil, inputs: [:], actor: "t").id) }
        for id in ids { await h.engine.waitUntilFinished(id) }
        var windows: [(Double, Double)] = []
        for id in ids {
            let snap = try await h.engine.snapshot(id)
            #expect(snap["status"] == "succeeded")
            let r = snap.step("s")?["result"]
            windows.append((r?["start"]?.doubleValue ?? 0, r?["end"]?.doubleValue ?? 0))
        }
        #expect(windows[0].1 <= windows[1].0 && windows[1].1 <= windows[2].0, "runs one at a time, in submission order")
    }

    @Test func subscribersSeeTheSameGapFreeSequence() async throws {
        let h = try await EngineHarness()
        h.python("chatty", "def main(n):\n    for i in range(n):\n        print('line', i)\n    return {'n': n}\n")
        h.store.addWorkflow("chatty", ["steps": [["id": "p", "component": "chatty", "inputs": ["n": 10000]]]])
        let run = try await h.engine.submit(workflow: "chatty", version: nil, inputs: [:], actor: "t")
        var first: [RunEvent] = []
        var second: [RunEvent] = []
        let (reply1, _) = try await h.engine.subscribe(run.id, after: 0) { first.append($0); return true }
        first = (reply1["events"]?.arrayValue ?? []).compactMap { e in
            e["seq"]?.intValue.map { RunEvent(runID: run.id, seq: $0, type: RunEvent.Kind(rawValue: e["type"]?.stringValue ?? "") ?? .log, payload: e["payload"] ?? .null, at: .now()) }
        } + first
        // Join midway.
        while (h.store.eventLog[run.id]?.count ?? 0) < 3000 { await h.engine.sleep(ms: 5) }
        let (reply2, _) = try await h.engine.subscribe(run.id, after: 1000) { second.append($0); return true }
        second = (reply2["events"]?.arrayValue ?? []).compactMap { e in
            e["seq"]?.intValue.map { RunEvent(runID: run.id, seq: $0, type: RunEvent.Kind(rawValue: e["type"]?.stringValue ?? "") ?? .log, payload: e["payload"] ?? .null, at: .now()) }
        } + second
        await h.engine.waitUntilFinished(run.id)
        for _ in 0..<Self.subscriberEndRounds where second.last?.type != .end || first.last?.type != .end { await h.engine.sleep(ms: 10) }
        let total = Int64(h.store.eventLog[run.id]?.count ?? 0)
        #expect(first.map(\.seq) == Array(1...total))
        #expect(second.map(\.seq) == Array(1001...total))
        #expect(Array(first.dropFirst(1000)).map(\.payload) == second.map(\.payload))
        let lines = first.filter { $0.type == .log && $0.payload["stream"] == "stdout" }.compactMap { $0.payload["line"]?.stringValue }
        #expect(lines == (0..<10000).map { "line \($0)" })
        #expect(h.store.commitCalls < 2000, "events are batched")
    }

    @Test func recoveryKeepsFinishedStepsAndContinues() async throws {
        let store = MemoryRunStore()
        let home = EngineHarness.makeTemp()
        let h1 = try await EngineHarness(store: store, home: home)
        h1.python("mark", """
        import time
        def main(name, seconds=0, **kw):
            print("ran", name, flush=True)
            time.sleep(seconds)
            return {"name": name}
        """)
        let steps: [JSON] = (1...5).map { i in
            var s = JSONObject([("id", .string("s\(i)")), ("component", "mark"),
                                ("inputs", ["name": .string("s\(i)"), "seconds": i == 3 ? 30 : 0])])
            if i > 1 { s["needs"] = [.string("s\(i - 1)")] }
            if i == 3 { s["retries"] = ["max": 1, "backoffSeconds": 0] }
            return .object(s)
        }
        store.addWorkflow("five", ["steps": .array(steps)])
        let run = try await h1.engine.submit(workflow: "five", version: nil, inputs: [:], actor: "t")
        func ranLines() -> [String] {
            (store.eventLog[run.id] ?? []).filter { $0.type == .log && $0.payload["stream"] == "stdout" }.compactMap { $0.payload["line"]?.stringValue }
        }
        // Step 3 is running (it printed) when the kernel stops.
        while !ranLines().contains("ran s3") { await h1.engine.sleep(ms: 20) }
        await h1.engine.stop()
        #expect(store.runs[run.id]?.status == .running)
        // Step 3 is quick on its retry; a new engine on the same store recovers the run.
        let quick: [JSON] = steps.map { s in
            guard s["id"] == "s3", case .object(var o) = s else { return s }
            o["inputs"] = ["name": "s3", "seconds": 0]
            return .object(o)
        }
        store.workflows = store.workflows.mapValues { w in
            (w.0, w.1.map { v in var v = v; v.definition = ["steps": .array(quick)]; return v })
        }
        let h2 = try await EngineHarness(store: store, home: home)
        await h2.engine.waitUntilFinished(run.id)
        let snap = try await h2.engine.snapshot(run.id)
        #expect(snap["status"] == "succeeded")
        #expect(ranLines() == ["ran s1", "ran s2", "ran s3", "ran s3", "ran s4", "ran s5"])
        #expect(snap.step("s3")?["attempts"]?.arrayValue?.first?["error"] == .string(RunEngine.interruptedMessage))
        let seqs = store.eventLog[run.id]?.map(\.seq) ?? []
        #expect(seqs == Array(1...Int64(seqs.count)))
    }

    @Test func outputWritesNamedArtifacts() async throws {
        let h = try await EngineHarness()
        h.store.addComponent("csv", .output, ["format": "csv", "name": "table"])
        h.store.addComponent("tpl", .utility, ["operation": "template", "template": "Hello ${inputs.who}, ${inputs.n} rows"])
        h.store.addWorkflow("out", ["steps": [
            ["id": "t", "component": "tpl", "inputs": ["who": "ann", "n": 2]],
            ["id": "o", "component": "csv", "needs": ["t"], "inputs": ["data": [["a": 1, "b": "x,y"], ["a": 2, "b": "${steps.t.result.text}"]]]],
        ]])
        let snap = try await h.runToEnd("out")
        #expect(snap["status"] == "succeeded")
        let id = snap["id"]?.stringValue ?? ""
        let list = try await h.engine.artifacts(id)
        #expect(list["items"]?.arrayValue?.map { $0["name"] } == ["table.csv"])
        let a = try await h.engine.artifact(id, name: "table.csv")
        #expect(a["content"] == "a,b\n1,\"x,y\"\n2,\"Hello ann, 2 rows\"\n")
        await #expect(throws: KernelError.self) { try await h.engine.artifact(id, name: "../secret") }
    }
}
