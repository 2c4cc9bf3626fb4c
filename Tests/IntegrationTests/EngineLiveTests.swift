import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// The run engine through the control socket of a real `mcpk serve`, with real sandboxed
/// Python steps (issue 6 "done means").
@Suite(.serialized) struct EngineLiveTests {
    /// A kernel plus helpers to define components/workflows and follow runs.
    final class Fixture {
        let kernel: KernelProcess

        /// `tag`: a restarted kernel's fixture keeps the names of the one before.
        init(env: [String: String] = [:], home: String? = nil, tag: String? = nil) throws {
            kernel = try KernelProcess.start(home: home, env: ["MCPK_MAX_CONCURRENT_STEPS": "4"].merging(env) { $1 })
            self.tag = tag ?? "-" + String(Int.random(in: 100_000..<999_999))
        }

        deinit { kernel.stop() }

        /// Names are suffixed so the suite also runs on one shared PostgreSQL (DATABASE_URL).
        let tag: String

        func name(_ n: String) -> JSON { .string(n + tag) }

        func python(_ name: String, _ code: String) throws {
            _ = try kernel.call("component.create", ["name": self.name(name), "config": ["type": "Python Script", "codeContent": .string(code)]])
        }

        func component(_ name: String, _ config: JSON) throws {
            _ = try kernel.call("component.create", ["name": self.name(name), "config": config])
        }

        func workflow(_ name: String, _ definition: JSON) throws {
            guard case .object(var d) = definition else { return }
            d["steps"] = .array((definition["steps"]?.arrayValue ?? []).map { step in
                guard case .object(var o) = step, let c = o["component"]?.stringValue else { return step }
                o["component"] = self.name(c)
                return .object(o)
            })
            _ = try kernel.call("workflow.create", ["name": self.name(name), "definition": .object(d)])
        }

        func run(_ workflow: String, _ inputs: JSON = [:]) throws -> String {
            let r = try kernel.call("workflow.run", ["id": name(workflow), "inputs": inputs])
            return r["run_id"]?.stringValue ?? ""
        }

        /// Polls `run.get` until the run is terminal.
        func wait(_ id: String, timeout: Double = 60) throws -> JSON { try Fixture.wait(kernel, id, timeout: timeout) }

        /// Polls `run.get` on `kernel` until the run is terminal.
        static func wait(_ kernel: KernelProcess, _ id: String, timeout: Double = 60) throws -> JSON {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let r = try kernel.call("run.get", ["id": .string(id)])
                if let s = r["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { return r }
                usleep(50_000)
            }
            throw KernelError.unavailable("run \(id) did not finish in \(timeout)s")
        }

        func events(_ id: String) throws -> [JSON] {
            var all: [JSON] = []
            var after: Int64 = 0
            while true {
                let page = try kernel.call("run.events", ["id": .string(id), "after": .int(after), "limit": 5000])
                let evs = page["items"]?.arrayValue ?? []
                if evs.isEmpty { return all }
                all += evs
                after = evs.last?["seq"]?.intValue ?? after
            }
        }

        func stdout(_ id: String) throws -> [String] {
            try events(id).filter { $0["type"] == "log" && $0["payload"]?["stream"] == "stdout" }.compactMap { $0["payload"]?["line"]?.stringValue }
        }
    }

    static let sleepy = """
    import time
    def main(label, seconds=0.5, **rest):
        start = time.time()
        time.sleep(seconds)
        return {"label": label, "start": start, "end": time.time()}
    """

    /// How long each middle step of the diamond sleeps: their windows overlap only if each starts
    /// before the other ends, and two sandboxed Python starts can be seconds apart on a loaded machine.
    static let parallelStepSeconds = 3.0
    /// How long each queued run's step sleeps: the third run must still be queued when it is
    /// looked up right after the three submissions (two steps ahead of it, 3x the old 0.3 s).
    static let queuedRunStepSeconds = 1.0

    static func step(_ s: JSON, _ id: String) -> JSON? { s["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id } }

    static func contiguous(_ events: [JSON]) -> Bool {
        events.enumerated().allSatisfy { $0.element["seq"]?.intValue == Int64($0.offset + 1) }
    }

    @Test func diamondMiddleStepsOverlapAndJoin() throws {
        let f = try Fixture()
        try f.python("sleepy", Self.sleepy)
        try f.python("join", "def main(left, right):\n    return {'labels': [left['label'], right['label']]}\n")
        try f.workflow("diamond", ["steps": [
            ["id": "a", "component": "sleepy", "inputs": ["label": "a", "seconds": 0.05]],
            ["id": "b", "component": "sleepy", "needs": ["a"], "inputs": ["label": "b", "seconds": .double(Self.parallelStepSeconds)]],
            ["id": "c", "component": "sleepy", "needs": ["a"], "inputs": ["label": "c", "seconds": .double(Self.parallelStepSeconds)]],
            ["id": "d", "component": "join", "needs": ["b", "c"], "inputs": ["left": "${steps.b.result}", "right": "${steps.c.result}"]],
        ]])
        let id = try f.run("diamond")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded")
        let b = Self.step(s, "b")?["result"], c = Self.step(s, "c")?["result"]
        let bs = b?["start"]?.doubleValue ?? 0, be = b?["end"]?.doubleValue ?? 0
        let cs = c?["start"]?.doubleValue ?? 0, ce = c?["end"]?.doubleValue ?? 0
        #expect(bs < ce && cs < be, "b and c ran at the same time")
        #expect(Self.step(s, "d")?["result"] == ["labels": ["b", "c"]])
        #expect(s["outputs"] == ["d": ["labels": ["b", "c"]]])
        #expect(Self.contiguous(try f.events(id)))
    }

    @Test func failTwiceThenSucceedWithBackoff() throws {
        let f = try Fixture()
        try f.python("flaky", """
        import os
        def main():
            n = int(os.environ["MCPK_ATTEMPT"])
            if n < 3:
                raise ValueError("boom %d" % n)
            return {"attempt": n}
        """)
        try f.workflow("flaky", ["steps": [["id": "f", "component": "flaky", "retries": ["max": 3, "backoffSeconds": 0.2, "factor": 2]]]])
        let id = try f.run("flaky")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded")
        let step = Self.step(s, "f")
        #expect(step?["attempt"] == 3)
        #expect(step?["attempts"]?.arrayValue?.map { $0["status"] } == ["failed", "failed", "succeeded"])
        let errors = step?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(errors.count == 2 && errors[0].contains("boom 1") && errors[1].contains("boom 2"))
        let retrying = try f.events(id).filter { $0["payload"]?["status"] == "retrying" }
        #expect(retrying.count == 2)
        #expect(retrying.allSatisfy { ($0["payload"]?["delay_ms"]?.intValue ?? 0) > 0 })
    }

    @Test func timedOutStep() throws {
        let f = try Fixture()
        try f.python("hang", "import subprocess, time\ndef main():\n    subprocess.Popen(['sleep', '60'])\n    time.sleep(60)\n")
        try f.workflow("hang", ["steps": [["id": "h", "component": "hang", "timeoutSeconds": 1]]])
        let s = try f.wait(try f.run("hang"), timeout: 30)
        #expect(s["status"] == "timed_out")
        #expect(Self.step(s, "h")?["status"] == "timed_out")
    }

    @Test func cancelRunningRun() throws {
        let f = try Fixture()
        try f.python("sleepy", Self.sleepy)
        try f.workflow("long", ["steps": [
            ["id": "a", "component": "sleepy", "inputs": ["label": "a", "seconds": 60]],
            ["id": "b", "component": "sleepy", "needs": ["a"], "inputs": ["label": "b"]],
        ]])
        let id = try f.run("long")
        while Self.step(try f.kernel.call("run.get", ["id": .string(id)]), "a")?["status"] != "running" { usleep(20_000) }
        // The CLI says it is cancelling, then waits for and prints the final status.
        let (cs, cout, cerr) = try f.kernel.cli(["runs", "cancel", String(id.prefix(8))])
        #expect(cs == 0, "\(cerr)")
        #expect(cout == "run \(id): cancelling…\nrun \(id): cancelled\n", "\(cout)")
        let s = try f.wait(id, timeout: 30)
        #expect(s["status"] == "cancelled")
        #expect(Self.step(s, "a")?["status"] == "cancelled")
        #expect(Self.step(s, "b")?["status"] == "cancelled")
        let again = try f.kernel.call("run.cancel", ["id": .string(id)])
        #expect(again["status"] == "cancelled")
        #expect(try f.events(id).last?["type"] == "end")
    }

    @Test func whenSkipsAndContinueOnError() throws {
        let f = try Fixture()
        try f.component("merge", ["type": "Utility", "operation": "merge"])
        try f.python("bad", "def main(**kw):\n    raise RuntimeError('expected failure')\n")
        try f.workflow("branches", ["inputs": ["type": "object", "properties": ["go": ["type": "boolean", "default": false]]], "steps": [
            ["id": "a", "component": "merge", "inputs": ["x": ["v": 1]]],
            ["id": "b", "component": "merge", "needs": ["a"], "when": "${inputs.go} == true", "inputs": ["y": "${steps.a.result}"]],
            ["id": "c", "component": "merge", "needs": ["b"]],
            ["id": "bad", "component": "bad", "needs": ["a"], "continueOnError": true],
            ["id": "d", "component": "merge", "needs": ["bad"], "inputs": ["z": ["w": 3]]],
        ]])
        let s = try f.wait(try f.run("branches"))
        #expect(s["status"] == "succeeded")
        #expect(Self.step(s, "b")?["status"] == "skipped")
        #expect(Self.step(s, "c")?["status"] == "skipped")
        #expect(Self.step(s, "bad")?["status"] == "failed")
        #expect(Self.step(s, "bad")?["error"]?.stringValue?.contains("RuntimeError: expected failure") == true)
        #expect(Self.step(s, "d")?["status"] == "succeeded")
        let ran = try f.wait(try f.run("branches", ["go": true]))
        #expect(Self.step(ran, "c")?["status"] == "succeeded")
        #expect(throws: ControlClient.ClientError.self) { try f.run("branches", ["go": "yes"]) }
    }

    @Test func concurrencyOneRunsThreeQueuedRunsInOrder() throws {
        let f = try Fixture()
        try f.python("sleepy", Self.sleepy)
        try f.workflow("one", ["concurrency": 1, "steps": [["id": "s", "component": "sleepy", "inputs": ["label": "x", "seconds": .double(Self.queuedRunStepSeconds)]]]])
        let ids = try (0..<3).map { _ in try f.run("one") }
        let second = try f.kernel.call("run.get", ["id": .string(ids[2])])
        #expect(second["status"] == "queued")
        let runs = try ids.map { try f.wait($0) }
        #expect(runs.allSatisfy { $0["status"] == "succeeded" })
        let w = runs.map { (Self.step($0, "s")?["result"]?["start"]?.doubleValue ?? 0, Self.step($0, "s")?["result"]?["end"]?.doubleValue ?? 0) }
        #expect(w[0].1 <= w[1].0 && w[1].1 <= w[2].0)
        let started = runs.compactMap { $0["started_at"]?.stringValue }
        #expect(started == started.sorted())
    }

    @Test func killNineDuringStepThreeRecovers() throws {
        let home = KernelProcess.makeHome()
        // Both fixtures live to the end: a KernelProcess removes its home when released.
        let f: Fixture? = try Fixture(home: home)
        try f?.python("mark", """
        import os, time
        def main(name, **kw):
            print("ran", name, "attempt", os.environ["MCPK_ATTEMPT"], flush=True)
            if name == "s3" and os.environ["MCPK_ATTEMPT"] == "1":
                time.sleep(60)
            return {"name": name}
        """)
        let steps: [JSON] = (1...5).map { i in
            var o = JSONObject([("id", .string("s\(i)")), ("component", "mark"), ("inputs", ["name": .string("s\(i)")])])
            if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
            if i == 3 { o["retries"] = ["max": 1, "backoffSeconds": 0] }
            return .object(o)
        }
        try f?.workflow("five", ["steps": .array(steps)])
        let id = try f?.run("five") ?? ""
        while try !(f?.stdout(id) ?? []).contains("ran s3 attempt 1") { usleep(20_000) }
        let before = try f?.events(id).count ?? 0
        f?.kernel.kill9()
        let g = try Fixture(home: home)
        let s = try g.wait(id)
        #expect(s["status"] == "succeeded")
        #expect(try g.stdout(id) == ["ran s1 attempt 1", "ran s2 attempt 1", "ran s3 attempt 1", "ran s3 attempt 2", "ran s4 attempt 1", "ran s5 attempt 1"])
        #expect(Self.step(s, "s3")?["attempts"]?.arrayValue?.first?["error"] == "interrupted by kernel restart")
        let events = try g.events(id)
        #expect(events.count > before)
        #expect(Self.contiguous(events))
        #expect(events.last?["type"] == "end")
    }

    @Test func tenThousandLinesTwoSubscribersSameSequence() throws {
        let f = try Fixture()
        try f.python("chatty", "def main(n):\n    for i in range(n):\n        print('line', i)\n    return {'n': n}\n")
        try f.workflow("chatty", ["steps": [["id": "p", "component": "chatty", "inputs": ["n": 10000]]]])
        let id = try f.run("chatty")
        func follow(_ c: ControlClient, after: Int64, until: (([JSON]) -> Bool)? = nil, into got: inout [JSON]) throws {
            while got.last?["type"] != "end" {
                if let until, until(got) { return }
                guard let msg = try c.readMessage() else { break }
                if msg["method"] == "run.event", let e = msg["params"]?["event"] { got.append(e) }
            }
        }
        let a = try f.kernel.client()
        var gotA = (try a.call("run.subscribe", ["id": .string(id), "after": 0])["events"]?.arrayValue ?? [])
        gotA += a.takeNotifications().compactMap { $0["params"]?["event"] }
        try follow(a, after: 0, until: { $0.count >= 3000 }, into: &gotA)
        let b = try f.kernel.client()
        var gotB = (try b.call("run.subscribe", ["id": .string(id), "after": 1000])["events"]?.arrayValue ?? [])
        gotB += b.takeNotifications().compactMap { $0["params"]?["event"] }
        try follow(a, after: 0, into: &gotA)
        try follow(b, after: 1000, into: &gotB)
        let seqA = gotA.compactMap { $0["seq"]?.intValue }
        let seqB = gotB.compactMap { $0["seq"]?.intValue }
        #expect(seqA == Array(1...Int64(seqA.count)))
        #expect(seqB == Array(1001...Int64(seqA.count)))
        #expect(Array(gotA.dropFirst(1000)) == gotB)
        let lines = gotA.filter { $0["type"] == "log" && $0["payload"]?["stream"] == "stdout" }.compactMap { $0["payload"]?["line"]?.stringValue }
        #expect(lines == (0..<10000).map { "line \($0)" })
        #expect(gotA.last?["type"] == "end")
    }

    @Test func outputArtifactThroughTheSocket() throws {
        let f = try Fixture()
        try f.component("report", ["type": "Output", "format": "csv", "name": "table"])
        try f.workflow("out", ["steps": [["id": "o", "component": "report", "inputs": ["data": [["a": 1, "b": "x"], ["a": 2, "b": "y"]]]]]])
        let id = try f.run("out")
        #expect(try f.wait(id)["status"] == "succeeded")
        let list = try f.kernel.call("run.artifacts", ["id": .string(id)])
        #expect(list["items"]?.arrayValue?.map { $0["name"] } == ["table.csv"])
        let a = try f.kernel.call("run.artifact", ["id": .string(id), "name": "table.csv"])
        #expect(a["content"] == "a,b\n1,x\n2,y\n")
        let (ls, lout, _) = try f.kernel.cli(["runs", "artifacts", id])
        #expect(ls == 0)
        #expect(lout == "NAME       SIZE  MIME\ntable.csv  12    text/csv\n", "\(lout)")
        let file = f.kernel.home + "/got.csv"
        let (gs, gout, gerr) = try f.kernel.cli(["runs", "artifact", id, "table.csv", "-o", file])
        #expect(gs == 0, "\(gerr)")
        #expect(gout == "wrote \(file) (12 bytes)\n")
        #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "a,b\n1,x\n2,y\n")
        let (_, stdoutContent, _) = try f.kernel.cli(["runs", "artifact", id, "table.csv"])
        #expect(stdoutContent == "a,b\n1,x\n2,y\n")
        let runs = try f.kernel.call("run.list", ["workflow": f.name("out"), "status": "succeeded"])
        #expect(runs["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
    }

    @Test func undeclaredRunInputsAreRefusedOrWarnedAbout() throws {
        let f = try Fixture()
        try f.component("pick", ["type": "Utility", "operation": "pick", "keys": ["who"]])
        let steps: JSON = [["id": "p", "component": "pick", "inputs": ["who": "${inputs.who}"]]]
        try f.workflow("strict", ["inputs": ["type": "object", "properties": ["who": ["type": "string"]], "additionalProperties": false], "steps": steps])
        try f.workflow("loose", ["inputs": ["type": "object", "properties": ["who": ["type": "string"]]], "steps": steps])
        do {
            _ = try f.kernel.call("workflow.run", ["id": f.name("strict"), "inputs": ["who": "Ada", "whom": "Bob"]])
            Issue.record("an undeclared input was accepted by additionalProperties: false")
        } catch ControlClient.ClientError.rpc(_, _, let kind, let errors) {
            #expect(kind == "invalid_params")
            #expect(errors.contains { $0.path == "inputs.whom" }, "\(errors)")
        }
        let r = try f.kernel.call("workflow.run", ["id": f.name("loose"), "inputs": ["who": "Ada", "whom": "Bob"]])
        #expect(r["warnings"] == ["inputs.whom: not declared by the workflow's input schema (declared: who)"])
        let declared = try f.kernel.call("workflow.run", ["id": f.name("loose"), "inputs": ["who": "Ada"]])
        #expect(declared["warnings"] == nil)
        let (s, _, err) = try f.kernel.cli(["run", f.name("loose").stringValue ?? "", "-i", "who=Ada", "-i", "whom=Bob", "--no-follow"])
        #expect(s == 0)
        #expect(err.contains("mcpk: warning: inputs.whom: not declared"), "\(err)")
    }

    @Test func cliRunFollowExitCodesAndRunsCommands() throws {
        let f = try Fixture()
        try f.python("p", "import mcpk\ndef main(ok):\n    print('starting')\n    mcpk.progress(0.5, 'half')\n    print('working')\n    if not ok:\n        raise ValueError('nope')\n    return {'ok': ok}\n")
        try f.workflow("cli", ["inputs": ["type": "object", "properties": ["ok": ["type": "boolean"]]], "steps": [["id": "a", "component": "p", "inputs": ["ok": "${inputs.ok}"]]]])
        let wf = f.name("cli").stringValue ?? ""
        let (okStatus, okOut, _) = try f.kernel.cli(["run", wf, "-i", "ok=true", "--follow"])
        #expect(okStatus == 0)
        #expect(okOut.contains("[a] working"))
        #expect(okOut.contains("50% half"))
        #expect(okOut.contains("run succeeded"))
        // Log lines and progress in the order the step produced them.
        let order = ["[a] starting", "50% half", "[a] working"].map { okOut.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "\(okOut)")
        let (badStatus, badOut, _) = try f.kernel.cli(["run", wf, "-i", "ok=false", "--follow"])
        #expect(badStatus == 1)
        // The step's error is shown once, not again on its `failed` line and the run's.
        #expect(badOut.components(separatedBy: "ValueError: nope").count == 2, "\(badOut)")
        #expect(badOut.contains("run failed"), "\(badOut)")
        let (_, list, _) = try f.kernel.cli(["runs", "list", "--workflow", wf])
        #expect(list.contains("succeeded") && list.contains("failed"))
        let (_, id, _) = try f.kernel.cli(["run", wf, "-i", "ok=true", "--no-follow"])
        let runID = id.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try f.wait(runID)
        let (logsStatus, logs, _) = try f.kernel.cli(["runs", "logs", "-f", runID])
        #expect(logsStatus == 0)
        #expect(logs.contains("[a] working"))
        let (_, get, _) = try f.kernel.cli(["runs", "get", runID])
        #expect(get.contains("{\"ok\":true}"))
        // The WORKFLOW column names the workflow; the 8-character short id stands for the run.
        #expect(list.split(separator: "\n").dropFirst().allSatisfy { $0.contains(wf) }, "\(list)")
        let (shortStatus, shortGet, shortErr) = try f.kernel.cli(["runs", "get", String(runID.prefix(8))])
        #expect(shortStatus == 0, "\(shortErr)")
        #expect(shortGet.contains("run \(runID)"))
    }

    @Test func dataUtilityPluginOpAndStepQueryThroughConnections() throws {
        let f = try Fixture()
        let db = f.kernel.home + "/data.db"
        let local = f.name("local")
        _ = try f.kernel.call("connection.create", ["name": local, "plugin": "sqlite", "config": ["path": .string(db), "create": true]])
        _ = try f.kernel.call("connection.query", ["id": local, "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"])
        _ = try f.kernel.call("connection.query", ["id": local, "sql": "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"])
        try f.component("rows", ["type": "Data", "connection": local, "query": "SELECT id, v FROM t WHERE id >= ? ORDER BY id",
                                 "params": ["${inputs.from}"], "maxRows": 2])
        try f.kernel.loadTestOps()
        try f.component("rep", ["type": "Utility", "operation": "plugin", "plugin": "testops", "pluginOperation": "repeat"])
        try f.component("pick", ["type": "Utility", "operation": "pick", "keys": ["rows"]])
        try f.component("table", ["type": "Output", "format": "csv", "name": "rows"])
        try f.component("counter", ["type": "Python Script", "connections": [local],
            "codeContent": .string("import mcpk\ndef main():\n    r = mcpk.query('\(local.stringValue ?? "")', 'SELECT count(*) AS n FROM t')\n    return {'n': r['rows'][0][0]}\n")])
        try f.workflow("data", ["inputs": ["type": "object", "properties": ["from": ["type": "integer"]]], "steps": [
            ["id": "q", "component": "rows", "inputs": ["from": "${inputs.from}"]],
            ["id": "p", "component": "pick", "needs": ["q"], "inputs": ["rows": "${steps.q.result.rows}"]],
            ["id": "r", "component": "rep", "needs": ["q"], "inputs": ["args": ["${steps.q.result.rows.0.1}", 3]]],
            ["id": "c", "component": "counter"],
            // The Data step's whole result: its column names become the CSV header.
            ["id": "o", "component": "table", "needs": ["q"], "inputs": ["data": "${steps.q.result}"]],
        ]])
        let runID = try f.run("data", ["from": 1])
        let s = try f.wait(runID)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(try f.kernel.call("run.artifact", ["id": .string(runID), "name": "rows.csv"])["content"] == "id,v\n1,a\n2,b\n")
        #expect(Self.step(s, "q")?["result"]?["rows"] == [[1, "a"], [2, "b"]])
        #expect(Self.step(s, "q")?["result"]?["truncated"] == true)
        #expect(Self.step(s, "p")?["result"] == ["rows": [[1, "a"], [2, "b"]]])
        #expect(Self.step(s, "r")?["result"] == "aaa")
        #expect(Self.step(s, "c")?["result"] == ["n": 3])
    }

    @Test func llmPromptAgentStreamsTokensFromALocalServer() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/llm-requests.jsonl", key: "sk-test-123")
        let port = server.port
        // The API key is the sealed secret of a connection named by apiKeySecret.
        let key = f.name("llm-key")
        _ = try f.kernel.call("connection.create", ["name": key, "plugin": "sqlite", "config": ["path": .string(f.kernel.home + "/x.db"), "create": true],
                                                    "secret": "sk-test-123"])
        try f.component("writer", ["type": "LLM Prompt Agent", "model": "tiny", "systemPrompt": "Be brief.",
                                   "userPromptTemplate": "Say hello to ${inputs.who} and {{who}} twice", "maxTokens": 64,
                                   "endpoint": .string("http://127.0.0.1:\(port)/v1"), "apiKeySecret": key])
        try f.workflow("llm", ["steps": [["id": "w", "component": "writer", "inputs": ["who": "Ada"]]]])
        let id = try f.run("llm")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        let result = Self.step(s, "w")?["result"]
        #expect(result?["text"] == "Say hello to Ada and Ada twice")
        #expect(result?["model"] == "tiny-served")
        #expect(result?["usage"]?["total_tokens"] == 14)
        let tokens = try f.events(id).filter { $0["type"] == "log" && $0["payload"]?["stream"] == "llm" }.compactMap { $0["payload"]?["line"]?.stringValue }
        // One log event per batch of tokens that arrived together (usually one per token).
        #expect((1...7).contains(tokens.count))
        #expect(tokens.joined() == "Say hello to Ada and Ada twice")
        let req = server.log().first ?? [:]
        #expect(req["path"] == "/v1/chat/completions")
        #expect(req["auth"] == "Bearer sk-test-123")
        #expect(req["body"]?["stream"] == true)
        #expect(req["body"]?["messages"]?[0]?["content"] == "Be brief.")
        // A wrong key fails the step with the server's answer.
        _ = try f.kernel.call("connection.update", ["id": key, "secret": "wrong"])
        let bad = try f.wait(try f.run("llm"))
        #expect(bad["status"] == "failed")
        #expect(Self.step(bad, "w")?["error"]?.stringValue?.contains("HTTP 401") == true)
    }
}
