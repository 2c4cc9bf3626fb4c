import Foundation
import Glibc
import KernelCore
import Testing

/// Warm runners through a real `mcpk serve`, on SQLite and PostgreSQL: sequential
/// Python steps of one component share one runner, `dashboard.health` reports the
/// pool, a new component version retires the runner at once, and `MCPK_RUNNERS=off`
/// runs every step cold.
@Suite(.serialized) struct WarmRunnerLiveTests {
    static func chain(_ k: KernelProcess, name: String, steps: Int) throws {
        var list: [JSON] = []
        for i in 0..<steps {
            var s = JSONObject([("id", .string("s\(i)")), ("component", .string(name)), ("inputs", ["n": 10])])
            if i > 0 { s["needs"] = [.string("s\(i - 1)")] }
            list.append(.object(s))
        }
        _ = try k.call("workflow.create", ["name": .string(name + "-chain"), "definition": ["steps": .array(list)]])
    }

    static func run(_ k: KernelProcess, _ workflow: String) throws -> JSON {
        let id = try k.call("workflow.run", ["id": .string(workflow), "inputs": [:]])["run_id"]?.stringValue ?? ""
        var run: JSON = .null
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            run = try k.call("run.get", ["id": .string(id)])
            if let s = run["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { break }
            usleep(20_000)
        }
        return run
    }

    static let fibo = "def fibo(n):\n    return n if n < 2 else fibo(n - 1) + fibo(n - 2)\ndef main(n):\n    print('fibo', n)\n    return fibo(n)\n"

    @Test(arguments: StoreMethodsTests.backends) func sequentialStepsShareOneRunnerAndAChangeRetiresIt(_ backend: String) throws {
        let k = try KernelProcess.start(env: try StoreMethodsTests.storeEnv(backend))
        defer { _ = k.stop() }
        _ = try k.call("component.create", ["name": "fibo", "config": ["type": "Python Script", "codeContent": .string(Self.fibo)]])
        try Self.chain(k, name: "fibo", steps: 8)
        let run = try Self.run(k, "fibo-chain")
        #expect(run["status"] == "succeeded", "\(run)")
        #expect(run["steps"]?.arrayValue?.map { $0["result"] } == Array(repeating: JSON(55), count: 8))
        var runners = try k.call("dashboard.health")["runners"] ?? .null
        #expect(runners["available"] == true, "\(runners)")
        #expect(runners["runners_started"] == 1)
        #expect(runners["warm_attempts"] == 8)
        let pool = runners["pools"]?.arrayValue?.first
        #expect(pool?["size"] == 1 && pool?["warm"] == 1 && pool?["attempts"] == 8, "\(String(describing: pool))")
        // A new version of the component retires its runner at once; the next run starts a new one.
        _ = try k.call("component.update", ["id": "fibo", "config": ["type": "Python Script",
                                                                       "codeContent": .string(Self.fibo.replacingOccurrences(of: "'fibo'", with: "'v2'"))]])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            runners = try k.call("dashboard.health")["runners"] ?? .null
            if runners["retired"]?["component_changed"] == 1 && runners["runners"] == 0 { break }
            usleep(50_000)
        }
        #expect(runners["retired"]?["component_changed"] == 1, "\(runners)")
        let again = try Self.run(k, "fibo-chain")
        #expect(again["status"] == "succeeded", "\(again)")
        runners = try k.call("dashboard.health")["runners"] ?? .null
        #expect(runners["runners_started"] == 2, "\(runners)")
        let logs = try k.call("run.events", ["id": again["id"] ?? .null])["items"]?.arrayValue ?? []
        #expect(logs.contains { $0["type"] == "log" && $0["payload"]?["line"] == "v2 10" })
    }

    @Test func runnersOffRunsEveryStepCold() throws {
        let k = try KernelProcess.start(env: ["MCPK_RUNNERS": "off"])
        defer { _ = k.stop() }
        _ = try k.call("component.create", ["name": "fibo", "config": ["type": "Python Script", "codeContent": .string(Self.fibo)]])
        try Self.chain(k, name: "fibo", steps: 2)
        let run = try Self.run(k, "fibo-chain")
        #expect(run["status"] == "succeeded", "\(run)")
        let runners = try k.call("dashboard.health")["runners"] ?? .null
        #expect(runners["enabled"] == false && runners["available"] == false, "\(runners)")
        #expect(runners["warm_attempts"] == 0)
    }

    @Test func aMalformedRunnerSettingRefusesToStart() throws {
        let (rc, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve"], env: ["MCPK_HOME": KernelProcess.makeHome(),
                                                                                         "MCPK_HTTP": "off", "MCPK_RUNNER_MAX_STEPS": "lots"])
        #expect(rc != 0)
        #expect(err.contains("MCPK_RUNNER_MAX_STEPS"), "\(err)")
    }
}
