import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Several real `mcpk serve` kernels (different homes → different owner ids) on ONE real
/// PostgreSQL database sharing one queue (issue 14): runs submitted to one kernel are claimed
/// by all; a kernel killed with SIGKILL leaves nothing unfinished and nothing completed twice;
/// an SSE client on one kernel streams a run executing on another.
@Suite("Live: scale-out, several kernels share one PostgreSQL queue", .serialized)
struct ScaleOutLiveTests {
    static let leaseMs = 2000

    static func owner(_ k: KernelProcess) throws -> String {
        try k.call("kernel.status")["engine"]?["owner"]?.stringValue ?? ""
    }

    static var skipped: Bool {
        guard LiveBackend.pgURL != nil || LiveBackend.isCI else {
            print("ScaleOutLiveTests: MCPK_TEST_PG_URL is not set: skipped (run `make test` or scripts/pg-test.sh start)")
            return true
        }
        return false
    }

    static let terminal: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

    @Test func killOneOfThreeKernelsDuringFiftyRuns() throws {
        guard !Self.skipped else { return }
        var env = try LiveBackend.postgres.environment()
        env["MCPK_RUN_LEASE_MS"] = String(Self.leaseMs)
        env["MCPK_MAX_CONCURRENT_STEPS"] = "4"
        let kernels = try (0..<3).map { _ in try KernelProcess.start(env: env) }
        defer { for k in kernels { k.stop() } }
        let owners = try kernels.map(Self.owner)
        #expect(Set(owners).count == 3)
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        _ = try kernels[0].call("component.create", ["name": .string("nap" + tag), "config": ["type": "Python Script", "codeContent": """
        import time
        def main(i):
            time.sleep(0.3)
            return {"i": i}
        """]])
        _ = try kernels[0].call("workflow.create", ["name": .string("naps" + tag), "definition": [
            "inputs": ["type": "object", "properties": ["i": ["type": "integer"]]],
            "steps": [["id": "nap", "component": .string("nap" + tag), "inputs": ["i": "${inputs.i}"], "retries": ["max": 3, "backoffSeconds": 0]]]]])
        // All 50 submitted to ONE kernel.
        var ids: [String] = []
        for i in 0..<50 {
            let id = try kernels[0].call("workflow.run", ["id": .string("naps" + tag), "inputs": ["i": .int(Int64(i))]])["run_id"]?.stringValue
            ids.append(try #require(id))
        }
        // Kill the busiest kernel other than the one submitted to, once it runs steps.
        var victim = 1
        let busyBy = Date().addingTimeInterval(60)
        while Date() < busyBy {
            let running = try kernels[1...].map { try $0.call("kernel.status")["engine"]?["running_steps"]?.intValue ?? 0 }
            if let most = running.max(), most > 0 { victim = 1 + (running.firstIndex(of: most) ?? 0); break }
            usleep(20_000)
        }
        kernels[victim].kill9()
        let survivor = kernels[victim == 1 ? 2 : 1]
        let deadline = Date().addingTimeInterval(120)
        var statuses: [String: String] = [:]
        while Date() < deadline {
            for id in ids where !Self.terminal.contains(statuses[id] ?? "") {
                statuses[id] = try survivor.call("run.get", ["id": .string(id)])["status"]?.stringValue
            }
            if statuses.count == ids.count, statuses.values.allSatisfy(Self.terminal.contains) { break }
            usleep(200_000)
        }
        #expect(statuses.values.filter { $0 == "succeeded" }.count == 50, "\(statuses.values.sorted()) \(survivor.log().suffix(3000))")
        // Every run: contiguous seqs 1…n ending with `end`; no step attempt completed twice.
        var ranOn = Set<String>()
        for id in ids {
            let evs = try survivor.runEvents(id)
            #expect(evs.enumerated().allSatisfy { $0.element["seq"]?.intValue == Int64($0.offset + 1) }, "run \(id) seqs")
            #expect(evs.last?["type"] == "end")
            var completed: [String: Int] = [:]
            for e in evs where e["type"] == "status_change" && e["payload"]?["entity"] == "step" {
                guard let s = e["payload"]?["status"]?.stringValue, Self.terminal.contains(s) else { continue }
                completed["\(e["payload"]?["step"]?.stringValue ?? "")/\(e["payload"]?["attempt"]?.intValue ?? 0)", default: 0] += 1
            }
            #expect(completed.values.allSatisfy { $0 == 1 }, "run \(id): \(completed)")
            let run = try survivor.call("run.get", ["id": .string(id)])
            if let o = run["owner"]?.stringValue { ranOn.insert(o) }
            let attempts = run["steps"]?.arrayValue?.first?["attempts"]?.arrayValue ?? []
            #expect(attempts.filter { $0["status"] == "succeeded" }.count == 1, "run \(id): \(attempts)")
        }
        // The submitter did not run everything itself: the queue was shared.
        #expect(ranOn.count >= 2, "\(ranOn)")
        let cluster = try survivor.call("cluster.status")
        #expect(cluster["shared_queue"] == true)
        let listed = Set((cluster["kernels"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        #expect(listed.isSuperset(of: Set(owners)), "\(cluster)")
    }

    @Test func sseOnOneKernelStreamsARunExecutingOnAnother() throws {
        guard !Self.skipped else { return }
        var env = try LiveBackend.postgres.environment()
        env["MCPK_RUN_LEASE_MS"] = String(Self.leaseMs)
        let ports = [HTTPTestClient.freePort(), HTTPTestClient.freePort()]
        let kernels = try ports.map { try KernelProcess.start(env: env, http: "127.0.0.1:\($0)") }
        defer { for k in kernels { k.stop() } }
        let owners = try kernels.map(Self.owner)
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        let lines = 300
        _ = try kernels[0].call("component.create", ["name": .string("talk" + tag), "config": ["type": "Python Script", "codeContent": .string("""
        import time
        def main():
            for i in range(\(lines)):
                print(f"line {i}", flush=True)
                time.sleep(0.005)
            return {"lines": \(lines)}
        """)]])
        _ = try kernels[0].call("workflow.create", ["name": .string("talks" + tag), "definition": ["steps": [["id": "t", "component": .string("talk" + tag)]]]])
        let id = try #require(try kernels[0].call("workflow.run", ["id": .string("talks" + tag)])["run_id"]?.stringValue)
        // Whichever kernel claimed the run executes it; stream from the other one.
        var owner: String?
        let claimedBy = Date().addingTimeInterval(60)
        while owner == nil, Date() < claimedBy {
            owner = try kernels[0].call("run.get", ["id": .string(id)])["owner"]?.stringValue
            if owner == nil { usleep(10_000) }
        }
        let executing = try #require(owner.flatMap { owners.firstIndex(of: $0) })
        let port = ports[1 - executing]

        let a = try HTTPTestClient(port: port, timeoutSeconds: 60)
        try a.send("GET /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        let firstText = try a.readStream { HTTPSSELiveTests.ids($0).count >= 60 || $0.contains("event: end\n") }
        let first = HTTPSSELiveTests.ids(firstText)
        let last = try #require(first.last)
        shutdown(a.fd, Int32(SHUT_RDWR))
        let b = try HTTPTestClient(port: port, timeoutSeconds: 60)
        try b.send("GET /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(last)\r\n\r\n")
        let secondText = try b.readToEOF()
        let second = HTTPSSELiveTests.ids(secondText)
        #expect(HTTPSSELiveTests.events(secondText).last == "end")
        let union = first + second
        let n = try #require(union.last)
        #expect(union == Array(1...n), "first \(first.count), second \(second.count), distinct \(Set(union).count), max \(n)")
        #expect(secondText.contains("line \(lines - 1)"))
        #expect(try kernels[1 - executing].call("run.get", ["id": .string(id)])["owner"]?.stringValue == owners[executing])
    }

    @Test func postgresRestartMidRunLosesNothing() throws {
        guard !Self.skipped else { return }
        // A private PostgreSQL (its own port and state file: restarting it disturbs no other test).
        let pg = TestServerScript("pg-test.sh", portVariable: "MCPK_TEST_PG_PORT", stateVariable: "MCPK_TEST_PG_STATE",
                                  statePrefix: "pg-restart")
        let url = try pg.run("start")
        defer { pg.stopAndClean() }
        let env = ["DATABASE_URL": url, "MCPK_RUN_LEASE_MS": "10000", "MCPK_MAX_CONCURRENT_STEPS": "4"]
        let kernels = try (0..<2).map { _ in try KernelProcess.start(env: env) }
        defer { for k in kernels { k.stop() } }
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        _ = try kernels[0].call("component.create", ["name": .string("slow" + tag), "config": ["type": "Python Script", "codeContent": """
        import time
        def main(i):
            for n in range(4):
                print("tick", i, n, flush=True)
                time.sleep(0.5)
            return {"i": i}
        """]])
        _ = try kernels[0].call("workflow.create", ["name": .string("slows" + tag), "definition": [
            "inputs": ["type": "object", "properties": ["i": ["type": "integer"]]],
            "steps": [["id": "a", "component": .string("slow" + tag), "inputs": ["i": "${inputs.i}"]],
                      ["id": "b", "component": .string("slow" + tag), "inputs": ["i": "${inputs.i}"], "needs": ["a"]]]]])
        var ids: [String] = []
        for i in 0..<6 {
            ids.append(try #require(try kernels[0].call("workflow.run", ["id": .string("slows" + tag), "inputs": ["i": .int(Int64(i))]])["run_id"]?.stringValue))
        }
        // Restart the server while steps run (the kernels' pools, journals and listeners reconnect).
        let runningBy = Date().addingTimeInterval(60)
        while Date() < runningBy, try kernels.allSatisfy({ try $0.call("kernel.status")["engine"]?["running_steps"]?.intValue ?? 0 == 0 }) {
            usleep(50_000)
        }
        usleep(300_000)
        _ = try pg.run("restart")
        var statuses: [String: String] = [:]
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            for id in ids where !Self.terminal.contains(statuses[id] ?? "") {
                statuses[id] = (try? kernels[1].call("run.get", ["id": .string(id)]))?["status"]?.stringValue
            }
            if statuses.count == ids.count, statuses.values.allSatisfy(Self.terminal.contains) { break }
            usleep(200_000)
        }
        #expect(statuses.values.filter { $0 == "succeeded" }.count == ids.count, "\(statuses) \(kernels[0].log().suffix(2000))")
        for id in ids {
            let evs = try kernels[1].runEvents(id)
            #expect(evs.enumerated().allSatisfy { $0.element["seq"]?.intValue == Int64($0.offset + 1) }, "run \(id) seqs")
            #expect(evs.last?["type"] == "end")
            // Every line both steps printed is stored once.
            let ticks = evs.filter { $0["type"] == "log" && $0["payload"]?["stream"] == "stdout" }.compactMap { $0["payload"]?["line"]?.stringValue }
            #expect(ticks.count == 8 && Set(ticks).count == 4, "run \(id): \(ticks)")
        }
        let reconnects = try kernels.map { try $0.call("kernel.status")["cluster"]?["listener"]?["reconnects"]?.intValue ?? 0 }
        #expect(reconnects.allSatisfy { $0 >= 1 }, "listener reconnects \(reconnects)")
    }
}
