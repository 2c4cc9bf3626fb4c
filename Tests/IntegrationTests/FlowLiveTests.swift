import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// Issue 17 (engine half) through real `mcpk serve` kernels on SQLite and PostgreSQL: a
/// 1,000-item forEach, a rerun reusing 3 of 5 steps, a durable 10 s wait across kill -9, an
/// approval resumed over HTTP. Not serialized: the 10 s wait overlaps the others.
struct FlowLiveTests {
    final class Fixture {
        let kernel: KernelProcess
        let env: [String: String]
        let httpPort: Int?
        let tag = "-" + String(Int.random(in: 100_000..<999_999))

        init(_ backend: LiveBackend, home: String? = nil, env: [String: String]? = nil, http: Bool = false) throws {
            self.env = try env ?? backend.environment()
            let port = http ? HTTPTestClient.freePort() : nil
            httpPort = port
            kernel = try KernelProcess.start(home: home, env: self.env, http: port.map { "127.0.0.1:\($0)" } ?? "off")
        }

        deinit { kernel.stop() }

        func name(_ n: String) -> JSON { .string(n + tag) }

        func setUp(_ workflow: String, _ steps: [JSON]) throws {
            _ = try? kernel.call("component.create", ["name": name("merge"), "config": ["type": "Utility", "operation": "merge"]])
            let renamed: [JSON] = steps.map { step in
                guard case .object(var o) = step, o["component"] != nil else { return step }
                o["component"] = name("merge")
                return .object(o)
            }
            _ = try kernel.call("workflow.create", ["name": name(workflow), "definition": ["steps": .array(renamed)]])
        }

        func run(_ workflow: String, _ inputs: JSON = [:]) throws -> String {
            try kernel.call("workflow.run", ["id": name(workflow), "inputs": inputs])["run_id"]?.stringValue ?? ""
        }

        func get(_ id: String) throws -> JSON { try kernel.call("run.get", ["id": .string(id)]) }

        func waitEnd(_ id: String, timeout: Double = 120) throws -> JSON {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let r = try get(id)
                if let s = r["status"]?.stringValue, RunStatus(rawValue: s)?.isTerminal == true { return r }
                usleep(50_000)
            }
            throw KernelError.unavailable("run \(id) did not finish in \(timeout)s")
        }

        func waitStep(_ id: String, _ step: String, status: String, timeout: Double = 60) throws -> JSON {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let r = try get(id)
                if EngineLiveTests.step(r, step)?["status"]?.stringValue == status { return r }
                usleep(50_000)
            }
            throw KernelError.unavailable("step \(step) of run \(id) never became \(status)")
        }
    }

    static func time(_ v: JSON?) -> Timestamp? { v?.stringValue.flatMap(Timestamp.init(rfc3339:)) }

    @Test(arguments: LiveBackend.enabled)
    func thousandItemForEachResultsInOrder(_ backend: LiveBackend) throws {
        let f = try Fixture(backend)
        try f.setUp("fan", [["id": "each", "component": "merge", "forEach": "${inputs.items}", "maxParallel": 8,
                             "inputs": ["v": ["value": "${item}", "index": "${index}"]]]])
        let id = try f.run("fan", ["items": .array((0..<1000).map { JSON("item-\($0)") })])
        let end = try f.waitEnd(id)
        #expect(end["status"] == "succeeded")
        let results = EngineLiveTests.step(end, "each")?["result"]?.arrayValue ?? []
        #expect(results.count == 1000)
        #expect(results.enumerated().allSatisfy { $0.element == ["value": .string("item-\($0.offset)"), "index": JSON($0.offset)] })
        let items = EngineLiveTests.step(end, "each")?["items"]?.arrayValue ?? []
        #expect(items.count == 1000 && items.allSatisfy { $0["status"] == "succeeded" })
        #expect(items.first?["id"] == "each[0]" && items.last?["id"] == "each[999]")
    }

    @Test(arguments: LiveBackend.enabled)
    func rerunFromTheFailedStepReusesThreeOfFive(_ backend: LiveBackend) throws {
        let f = try Fixture(backend)
        let steps: [JSON] = (1...5).map { i in
            var o = JSONObject([("id", .string("s\(i)")), ("component", "merge"), ("inputs", ["v": ["n": JSON(i)]])])
            if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
            if i == 4 { o["forEach"] = "${inputs.items}" }  // a string is not a list: s4 fails
            return .object(o)
        }
        try f.setUp("five", steps)
        let first = try f.run("five", ["items": "not a list"])
        #expect(try f.waitEnd(first)["status"] == "failed")
        let (status, out, err) = try f.kernel.cli(["runs", "rerun", first, "--from", "s4", "--inputs", "{\"items\": [1, 2]}"])
        #expect(status == 0, "\(err)")
        #expect(out.contains("reused: s1, s2, s3"))
        let second = try #require(out.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        let end = try f.waitEnd(second)
        #expect(end["status"] == "succeeded")
        let reused = (end["steps"]?.arrayValue ?? []).filter { $0["reused"] == true }.compactMap { $0["id"]?.stringValue }
        #expect(reused == ["s1", "s2", "s3"])
        #expect(end["trigger"]?["kind"] == "rerun" && end["trigger"]?["id"] == .string(first))
        let (_, shown, _) = try f.kernel.cli(["runs", "get", second])
        #expect(shown.components(separatedBy: "reused").count - 1 == 3)
        // A nested workflow step naming a workflow that does not exist is refused with its path.
        let refused = rpcError { try f.kernel.call("workflow.create", ["name": f.name("nest"), "definition": ["steps": [["id": "sub", "workflow": "no-such-workflow@1"]]]]) }
        #expect(refused?.errors.contains("steps[0].workflow: unknown workflow 'no-such-workflow'") == true, "\(String(describing: refused))")
    }

    @Test(arguments: LiveBackend.enabled)
    func tenSecondWaitSurvivesKillNineAndEndsOnTime(_ backend: LiveBackend) throws {
        let home = KernelProcess.makeHome()
        let f: Fixture? = try Fixture(backend, home: home)
        try f?.setUp("nap", [["id": "nap", "wait": ["for": "10s"]],
                             ["id": "after", "component": "merge", "needs": ["nap"], "inputs": ["v": ["woke": "${steps.nap.result.woke_at}"]]]])
        let id = try f?.run("nap") ?? ""
        _ = try f?.waitStep(id, "nap", status: "waiting")
        let env = f?.env ?? [:]
        f?.kernel.kill9()
        let g = try Fixture(backend, home: home, env: env)
        let end = try g.waitEnd(id, timeout: 60)
        #expect(end["status"] == "succeeded")
        let r = EngineLiveTests.step(end, "nap")?["result"]
        let due = try #require(Self.time(r?["due_at"])), woke = try #require(Self.time(r?["woke_at"]))
        // On time: the recorded wake time is the due time, to within a second (never before it).
        #expect(woke >= due && woke.milliseconds - due.milliseconds <= 1000, "woke \(woke.milliseconds - due.milliseconds) ms after due")
        #expect(end["waits"]?.arrayValue?.first?["outcome"] == "woke")
        _ = f
    }

    @Test(arguments: LiveBackend.enabled)
    func approvalResumedOverHTTP(_ backend: LiveBackend) throws {
        let f = try Fixture(backend, http: true)
        let port = try #require(f.httpPort)
        try f.setUp("approve", [
            ["id": "llm", "component": "merge", "inputs": ["v": ["sql": "DROP TABLE staging"]]],
            ["id": "approve", "needs": ["llm"], "inputs": ["sql": "${steps.llm.result.sql}"],
             "wait": ["signal": "approve", "timeoutSeconds": 300,
                      "schema": ["type": "object", "required": ["approved"], "properties": ["approved": ["type": "boolean"]]]]],
            ["id": "apply", "component": "merge", "needs": ["approve"], "when": "${steps.approve.result.payload.approved} == true",
             "inputs": ["v": ["applied": "${steps.llm.result.sql}"]]],
        ])
        let id = try f.run("approve")
        let waiting = try f.waitStep(id, "approve", status: "waiting")
        #expect(waiting["waits"]?.arrayValue?.first?["inputs"] == ["sql": "DROP TABLE staging"])
        let bad = try HTTPTestClient.request(port: port, "POST", "/api/v1/workflow-runs/\(id)/signal",
                                             body: #"{"name": "approve", "payload": {"approved": "yes"}}"#)
        #expect(bad.status == 422)
        #expect(bad.text.contains("payload.approved"))
        let ok = try HTTPTestClient.request(port: port, "POST", "/api/v1/workflow-runs/\(id)/signal",
                                            body: #"{"name": "approve", "payload": {"approved": true}}"#)
        #expect(ok.status == 200, "\(ok.text)")
        let end = try f.waitEnd(id)
        #expect(end["status"] == "succeeded")
        #expect(EngineLiveTests.step(end, "apply")?["result"] == ["applied": "DROP TABLE staging"])
        let audit = try f.kernel.call("audit.list", ["entity_id": .string(id)])
        #expect((audit["items"]?.arrayValue ?? audit["entries"]?.arrayValue ?? []).contains { $0["action_type"] == "run.signal" })
    }
}
