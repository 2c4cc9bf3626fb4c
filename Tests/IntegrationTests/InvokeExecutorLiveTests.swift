import Foundation
import Glibc
import KernelCore
import Testing

/// An in-process (`invoke`) executor plugin in a live kernel: a fixture C plugin built
/// with the documented `cc -shared -fPIC -Iinclude` line, loaded with `plugin.load`
/// into a running kernel, serving `Utility` and `LLM Prompt Agent` steps through every
/// `mcpk_invocation` callback (events, queries, op calls, cancellation) and misbehaving.
@Suite(.serialized) struct InvokeExecutorLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static func buildFixture(into dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = PluginLiveTests.root + "/Tests/IntegrationTests/Fixtures/invokeexec.c"
        let out = dir + "/libinvokeexec.so"
        let (rc, _, err) = try KernelProcess.run("/bin/sh", ["-c", "cd '\(PluginLiveTests.root)' && cc -shared -fPIC -Iinclude '\(src)' -o '\(out)'"])
        #expect(rc == 0, "\(err)")
        return out
    }

    static func step(_ s: JSON, _ id: String) -> JSON? { EngineLiveTests.step(s, id) }

    /// Pids whose command line contains `text` (e.g. a plugin-host child's `--path`).
    static func processes(commandLineContaining text: String) -> [Int32] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return ids.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    static func waitFor(_ what: String, timeout: Double = 30, _ cond: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try cond() { return }
            usleep(50_000)
        }
        throw KernelError.unavailable("timed out waiting for \(what)")
    }

    /// The C code between the minimal-executor markers of docs/PLUGINS.md.
    static func documentedExecutor() throws -> String {
        let text = try String(contentsOfFile: PluginLiveTests.root + "/docs/PLUGINS.md", encoding: .utf8)
        guard let b = text.range(of: "<!-- minimal-executor:begin -->"), let e = text.range(of: "<!-- minimal-executor:end -->"),
              let open = text.range(of: "```c\n", range: b.upperBound..<e.lowerBound),
              let close = text.range(of: "```", range: open.upperBound..<e.lowerBound) else {
            throw KernelError.internal("no minimal executor in docs/PLUGINS.md")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test func documentedExecutorDroppedIntoARunningKernel() throws {
        let f = try Fixture()
        let k = f.kernel
        let dir = k.home + "/extra-plugins"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = k.home + "/echo.c"
        try Self.documentedExecutor().write(toFile: src, atomically: true, encoding: .utf8)
        let (rc, _, err) = try KernelProcess.run("/bin/sh", ["-c", "cd '\(PluginLiveTests.root)' && cc -shared -fPIC -Iinclude '\(src)' -o '\(dir)/libecho.so'"])
        #expect(rc == 0, "\(err)")
        let before = try k.call("kernel.status")["engine"]?["executors"]?["Utility"]
        let loaded = try k.call("plugin.load", ["path": .string(dir + "/libecho.so")])
        #expect(loaded["name"] == "echo" && loaded["abi"] == "1.1.0")
        #expect(try k.call("kernel.status")["engine"]?["executors"]?["Utility"] == "echo")
        try f.component("echo", ["type": "Utility", "operation": "merge"])
        try f.workflow("echo", ["steps": [["id": "e", "component": "echo", "inputs": ["n": 7]]]])
        let id = try f.run("echo")
        let s = try f.wait(id)
        #expect(Self.step(s, "e")?["result"] == ["echo": ["n": 7], "attempt": 1], "\(s)")
        let events = try f.events(id)
        #expect(events.contains { $0["type"] == "log" && $0["payload"]?["line"] == "echo: starting" })
        #expect(events.contains { $0["type"] == "progress" && $0["payload"]?["fraction"] == 1.0 })
        // Unloading gives the type back to whoever served it before.
        _ = try k.call("plugin.unload", ["name": "echo"])
        #expect(try k.call("kernel.status")["engine"]?["executors"]?["Utility"] == before)
    }

    /// ABI 1.3.0 `MCPK_TYPE_NO_WORK_DIR`: the bundled Utility's attempts make no work dir (the
    /// per-step cost of in-process steps); an older executor of the same type still gets one.
    @Test func bundledUtilityStepsMakeNoWorkDirectory() throws {
        let f = try Fixture()
        let k = f.kernel
        try f.component("merge", ["type": "Utility", "operation": "merge"])
        try f.workflow("merge", ["steps": [["id": "m", "component": "merge", "inputs": ["a": ["x": 1]]]]])
        let id = try f.run("merge")
        let s = try f.wait(id)
        #expect(Self.step(s, "m")?["result"] == ["x": 1], "\(s)")
        #expect(!FileManager.default.fileExists(atPath: k.home + "/work/\(id)/m/1"))
        // Such a type has nowhere to stage a referenced artifact: the step fails saying so.
        try f.workflow("staged", ["steps": [["id": "m", "component": "merge", "inputs": ["a": ["$artifact": "report.txt"]]]]])
        let staged = try f.wait(try f.run("staged"))
        #expect(staged["status"] == "failed", "\(staged)")
        #expect(Self.step(staged, "m")?["error"]?.stringValue?.contains("declares no work directory (MCPK_TYPE_NO_WORK_DIR)") == true, "\(staged)")

        let so = try Self.buildFixture(into: k.home + "/extra-plugins")
        _ = try k.call("plugin.load", ["path": .string(so)])
        try f.component("events", ["type": "Utility", "operation": "template", "template": "mode=events;"])
        try f.workflow("events", ["steps": [["id": "e", "component": "events", "inputs": ["n": 1]]]])
        let legacy = try f.run("events")
        let r = try f.wait(legacy)
        #expect(Self.step(r, "e")?["result"]?["inputs_file"] == true, "\(r)")
        #expect(FileManager.default.fileExists(atPath: k.home + "/work/\(legacy)/e/1/inputs.json"))
    }

    @Test func invokePluginLoadedIntoARunningKernel() throws {
        let f = try Fixture()
        let k = f.kernel
        let so = try Self.buildFixture(into: k.home + "/extra-plugins")
        let loaded = try k.call("plugin.load", ["path": .string(so)])
        #expect(loaded["name"] == "invokeexec")
        #expect(loaded["abi"] == "1.1.0")
        // Routing follows the host at once: the fixture now serves Utility.
        let status = try k.call("kernel.status")
        #expect(status["engine"]?["executors"]?["Utility"] == "invokeexec", "\(status["engine"] ?? .null)")
        #expect(status["engine"]?["executors"]?["Data"] == "invokeexec")
        #expect(status["engine"]?["executors"]?["Python Script"] == "python")

        // Events in order, artifact copied, misbehaving emits refused, inputs.json present.
        try f.component("events", ["type": "Utility", "operation": "template", "template": "mode=events;"])
        try f.workflow("events", ["steps": [["id": "e", "component": "events", "inputs": ["who": "ada"]]]])
        let id = try f.run("events")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        let r = Self.step(s, "e")?["result"] ?? .null
        #expect(r["log"] == 0 && r["progress"] == 0 && r["preview"] == 0 && r["artifact"] == 0, "\(r)")
        #expect(r["outside"] == 4, "an artifact outside the work dir is INVALID_ARGUMENT")
        #expect(r["bad_json"] == 4 && r["unknown_type"] == 4)
        #expect(r["inputs"] == ["who": "ada"])
        #expect(r["inputs_file"] == true)
        #expect(r["call_op_member"] == true)
        #expect(r["secrets"] == .null)
        let events = try f.events(id)
        let kinds = events.compactMap { $0["type"]?.stringValue }
        let log = events.firstIndex { $0["type"] == "log" && $0["payload"]?["line"] == "hello from invoke" }
        let progress = events.firstIndex { $0["type"] == "progress" && $0["payload"]?["fraction"] == 0.5 }
        let artifact = events.firstIndex { $0["type"] == "artifact" && $0["payload"]?["name"] == "report.txt" }
        #expect(log != nil && progress != nil && artifact != nil, "\(kinds)")
        if let log, let progress, let artifact { #expect(log < progress && progress < artifact) }
        let a = try k.call("run.artifact", ["id": .string(id), "name": "report.txt"])
        #expect(a["content"] == "report\n")
        #expect(try k.call("run.artifacts", ["id": .string(id)])["items"]?.arrayValue?.count == 1)

        // query through a declared connection; an undeclared one is FORBIDDEN.
        let db = k.home + "/invoke.db"
        _ = try k.call("connection.create", ["name": f.name("db"), "plugin": "sqlite", "config": ["path": .string(db), "create": true]])
        for sql in ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"] {
            _ = try k.call("connection.query", ["id": f.name("db"), "sql": .string(sql)])
        }
        try f.component("query", ["type": "Data", "query": "mode=query;", "connection": f.name("db")])
        try f.workflow("query", ["steps": [["id": "q", "component": "query"]]])
        let qs = try f.wait(try f.run("query"))
        #expect(qs["status"] == "succeeded", "\(qs)")
        let q = Self.step(qs, "q")?["result"] ?? .null
        #expect(q["rows"] == [[1, "a"], [2, "b"]], "max_rows 2 respected: \(q)")
        #expect(q["columns"] == 2 && q["ended"] == true)
        #expect(q["undeclared"] == 10, "FORBIDDEN: \(q)")
        #expect(q["undeclared_message"]?.stringValue?.contains("not declared") == true)

        // call_op reaches another plugin's extra operation through libffi (the testops fixture, loaded by path).
        try k.loadTestOps()
        try f.component("ops", ["type": "Utility", "operation": "template", "template": "mode=call_op;"])
        try f.workflow("ops", ["steps": [["id": "o", "component": "ops"]]])
        let os = try f.wait(try f.run("ops"))
        #expect(Self.step(os, "o")?["result"] == ["repeat": "ababab", "missing": 3], "\(os)")

        // Secrets: apiKeySecret names a connection whose sealed secret is passed, never logged.
        _ = try k.call("connection.create", ["name": f.name("llmkey"), "plugin": "sqlite",
                                             "config": ["path": .string(k.home + "/k.db"), "create": true], "secret": "sk-test-123"])
        try f.component("llm", ["type": "LLM Prompt Agent", "model": "m", "userPromptTemplate": "mode=events;", "apiKeySecret": f.name("llmkey")])
        try f.workflow("llm", ["steps": [["id": "l", "component": "llm"]]])
        let ls = try f.wait(try f.run("llm"))
        #expect(Self.step(ls, "l")?["result"]?["secrets"] == .object(JSONObject([(f.name("llmkey").stringValue ?? "", "sk-test-123")])), "\(ls)")
        #expect(!k.log().contains("sk-test-123"))

        // Failures: IO → failed with the plugin's message; TIMEOUT → timed_out.
        try f.component("fail", ["type": "Utility", "operation": "template", "template": "mode=fail;"])
        try f.workflow("fail", ["steps": [["id": "x", "component": "fail"]]])
        let fs = try f.wait(try f.run("fail"))
        #expect(fs["status"] == "failed")
        #expect(Self.step(fs, "x")?["error"]?.stringValue?.contains("boom") == true, "\(fs)")
        try f.component("slow", ["type": "Utility", "operation": "template", "template": "mode=timeout;"])
        try f.workflow("slow", ["steps": [["id": "x", "component": "slow"]]])
        let ts = try f.wait(try f.run("slow"))
        #expect(Self.step(ts, "x")?["status"] == "timed_out", "\(ts)")

        // Unload: Utility falls back to whatever served it before.
        _ = try k.call("plugin.unload", ["name": "invokeexec"])
        let after = try k.call("kernel.status")["engine"]?["executors"]?["Utility"]?.stringValue
        #expect(after != "invokeexec")
    }

    @Test func unloadIsRefusedWhileAStepRunsAndCancelReachesThePlugin() throws {
        let f = try Fixture()
        let k = f.kernel
        let so = try Self.buildFixture(into: k.home + "/extra-plugins")
        _ = try k.call("plugin.load", ["path": .string(so)])
        try f.component("wait", ["type": "Utility", "operation": "template", "template": "mode=wait;"])
        try f.workflow("wait", ["steps": [["id": "w", "component": "wait"]]])
        let id = try f.run("wait")
        try Self.waitFor("the step to report progress") {
            try f.events(id).contains { $0["type"] == "progress" && $0["payload"]?["message"] == "waiting" }
        }
        // A running step holds a lease: unload and reload are refused with conflict.
        #expect { _ = try k.call("plugin.unload", ["name": "invokeexec"]) } throws: { "\($0)".contains("conflict") }
        #expect { _ = try k.call("plugin.reload", ["name": "invokeexec"]) } throws: { "\($0)".contains("conflict") }
        // Cancel: is_cancelled turns true, the plugin returns CANCELLED.
        _ = try k.call("run.cancel", ["id": .string(id)])
        let s = try f.wait(id)
        #expect(s["status"] == "cancelled", "\(s)")
        // Lease released: unload succeeds now.
        _ = try k.call("plugin.unload", ["name": "invokeexec"])
        _ = try k.call("kernel.ping")
        #expect(try k.call("dashboard.health")["engine"]?["executors"]?["Python Script"] == "python")
    }

    @Test func forcedUnloadStopsTheStepAndAPluginIgnoringCancelIsAbandoned() throws {
        let f = try Fixture()
        let k = f.kernel
        let so = try Self.buildFixture(into: k.home + "/extra-plugins")
        _ = try k.call("plugin.load", ["path": .string(so)])
        // force cancels the running step first.
        try f.component("wait", ["type": "Utility", "operation": "template", "template": "mode=wait;"])
        try f.workflow("wait", ["steps": [["id": "w", "component": "wait"]]])
        let id = try f.run("wait")
        try Self.waitFor("the step to run") { try f.events(id).contains { $0["type"] == "progress" } }
        _ = try k.call("plugin.unload", ["name": "invokeexec", "force": true])
        let s = try f.wait(id)
        #expect(s["status"] == "failed", "\(s)")
        #expect(Self.step(s, "w")?["error"]?.stringValue?.contains("unloaded") == true, "\(s)")

        // A plugin that ignores cancellation: the step ends after the grace, its late
        // events are dropped, the kernel stays healthy.
        _ = try k.call("plugin.load", ["path": .string(so)])
        try f.component("stubborn", ["type": "Utility", "operation": "template", "template": "mode=ignore;"])
        try f.workflow("stubborn", ["steps": [["id": "x", "component": "stubborn", "timeoutSeconds": 1]]])
        let sid = try f.run("stubborn")
        let ss = try f.wait(sid, timeout: 30)
        #expect(["timed_out", "failed"].contains(ss["status"]?.stringValue ?? ""), "\(ss)")
        #expect(Self.step(ss, "x")?["status"] != "succeeded")
        sleep(4)  // the abandoned thread returns (8 s after it started) and releases its lease
        #expect(try !f.events(sid).contains { $0["payload"]?["line"] == "late line that must be dropped" })
        _ = try k.call("kernel.ping")
        #expect(try k.call("dashboard.health")["engine"]?["executors"]?["Python Script"] == "python")
        try f.python("ok", "def main():\n    return {'ok': True}\n")
        try f.workflow("ok", ["steps": [["id": "o", "component": "ok"]]])
        #expect(try f.wait(try f.run("ok"))["status"] == "succeeded")
        _ = try k.call("plugin.unload", ["name": "invokeexec"])
    }

    /// The same plugin under `process` isolation: plan/finish/invoke go through the
    /// `mcpk plugin-host` child, the callbacks are relayed back, and a segfault inside
    /// `invoke` fails that step with `unavailable` while the child restarts.
    @Test func invokeUnderProcessIsolationRelaysCallbacksAndSurvivesACrash() throws {
        let f = try Fixture()
        let k = f.kernel
        let so = try Self.buildFixture(into: k.home + "/extra-plugins")
        let loaded = try k.call("plugin.load", ["path": .string(so), "isolation": "process"])
        #expect(loaded["isolation"] == "process")
        #expect(try k.call("kernel.status")["engine"]?["executors"]?["Utility"] == "invokeexec")

        try f.component("events", ["type": "Utility", "operation": "template", "template": "mode=events;"])
        try f.workflow("events", ["steps": [["id": "e", "component": "events", "inputs": ["who": "ada"]]]])
        let id = try f.run("events")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        let r = Self.step(s, "e")?["result"] ?? .null
        #expect(r["log"] == 0 && r["artifact"] == 0 && r["outside"] == 4 && r["bad_json"] == 4 && r["unknown_type"] == 4, "\(r)")
        #expect(r["inputs"] == ["who": "ada"])
        #expect(try f.events(id).contains { $0["type"] == "log" && $0["payload"]?["line"] == "hello from invoke" })
        #expect(try k.call("run.artifact", ["id": .string(id), "name": "report.txt"])["content"] == "report\n")

        let db = k.home + "/invoke.db"
        _ = try k.call("connection.create", ["name": f.name("db"), "plugin": "sqlite", "config": ["path": .string(db), "create": true]])
        for sql in ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"] {
            _ = try k.call("connection.query", ["id": f.name("db"), "sql": .string(sql)])
        }
        try f.component("query", ["type": "Data", "query": "mode=query;", "connection": f.name("db")])
        try f.workflow("query", ["steps": [["id": "q", "component": "query"]]])
        let q = Self.step(try f.wait(try f.run("query")), "q")?["result"] ?? .null
        #expect(q["rows"] == [[1, "a"], [2, "b"]] && q["undeclared"] == 10, "\(q)")

        try k.loadTestOps()  // the call_op target, a fixture loaded by path
        try f.component("ops", ["type": "Utility", "operation": "template", "template": "mode=call_op;"])
        try f.workflow("ops", ["steps": [["id": "o", "component": "ops"]]])
        #expect(Self.step(try f.wait(try f.run("ops")), "o")?["result"] == ["repeat": "ababab", "missing": 3])

        // Cancellation crosses the pipe: the child's is_cancelled turns true.
        try f.component("wait", ["type": "Utility", "operation": "template", "template": "mode=wait;"])
        try f.workflow("wait", ["steps": [["id": "w", "component": "wait"]]])
        let wid = try f.run("wait")
        try Self.waitFor("the step to run") { try f.events(wid).contains { $0["type"] == "progress" } }
        #expect { _ = try k.call("plugin.unload", ["name": "invokeexec"]) } throws: { "\($0)".contains("conflict") }
        _ = try k.call("run.cancel", ["id": .string(wid)])
        #expect(try f.wait(wid)["status"] == "cancelled")

        // A segfault in invoke: that step fails unavailable, the child restarts, the next step runs.
        try f.component("crash", ["type": "Utility", "operation": "template", "template": "mode=crash;"])
        try f.workflow("crash", ["steps": [["id": "c", "component": "crash"]]])
        let cs = try f.wait(try f.run("crash"))
        #expect(cs["status"] == "failed")
        let error = Self.step(cs, "c")?["error"]?.stringValue ?? ""
        #expect(error.contains("unavailable") && error.contains("signal 11"), "\(error)")
        try Self.waitFor("the plugin host to restart") {
            let p = try k.call("plugin.list")["items"]?.arrayValue?.first { $0["name"] == "invokeexec" }
            return p?["state"] == "loaded" && (p?["crashes"]?.intValue ?? 0) >= 1
        }
        #expect(try f.wait(try f.run("events"))["status"] == "succeeded")

        // A step that ignores cancellation cannot pin a child: a forced unload stops it at once.
        try f.component("stubborn", ["type": "Utility", "operation": "template", "template": "mode=ignore;"])
        try f.workflow("stubborn", ["steps": [["id": "x", "component": "stubborn"]]])
        let sid = try f.run("stubborn")
        try Self.waitFor("the step to run") {
            try f.events(sid).contains { $0["type"] == "log" && $0["payload"]?["line"] == "ignoring cancellation" }
        }
        // The child loads the kernel's private copy (`$MCPK_HOME/plugin-cache/<sha256>/<file>`), not `so` itself.
        let copy = k.home + "/plugin-cache/"
        let served = Self.processes(commandLineContaining: copy).filter { pid in
            (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? "")
                .contains("/" + (so.split(separator: "/").last.map(String.init) ?? so))
        }
        #expect(served.count == 1, "one plugin-host child serves the fixture")
        _ = try k.call("plugin.unload", ["name": "invokeexec", "force": true])
        // The unload returned after stopping the child, although its invoke thread never returned.
        #expect(Self.processes(commandLineContaining: copy).filter(served.contains).isEmpty)
        let ss = try f.wait(sid)
        #expect(ss["status"] == "failed" && Self.step(ss, "x")?["error"]?.stringValue?.contains("unloaded") == true, "\(ss)")
        #expect(try k.call("plugin.list")["items"]?.arrayValue?.contains { $0["name"] == "invokeexec" } == false)
        _ = try k.call("kernel.ping")
    }

    /// Every bundled executor under `MCPK_PLUGIN_ISOLATION=process`: Python steps are
    /// planned in the plugin-host child and still run in the sandbox.
    @Test func pythonStepsPlannedInAPluginHostChild() throws {
        let f = try Fixture(env: ["MCPK_PLUGIN_ISOLATION": "process"])
        let python = try f.kernel.call("plugin.list")["items"]?.arrayValue?.first { $0["name"] == "python" }
        #expect(python?["isolation"] == "process")
        try f.python("hello", "def main(name):\n    print('hi', name)\n    return {'greeting': 'hello ' + name}\n")
        try f.workflow("hello", ["steps": [["id": "h", "component": "hello", "inputs": ["name": "ada"]]]])
        let id = try f.run("hello")
        let s = try f.wait(id)
        let events = try f.events(id)
        #expect(Self.step(s, "h")?["result"] == ["greeting": "hello ada"], "\(events)")
        #expect(try f.stdout(id).contains("hi ada"))
    }
}
