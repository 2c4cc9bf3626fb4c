import Foundation
import Glibc
import KernelCore
import Testing

/// Two real `mcpk serve` kernels (different homes → different owner ids) on ONE real
/// PostgreSQL database with a short lease: a run of a kernel killed with SIGKILL is taken
/// over by the other; a run whose owner is alive and renewing is not.
@Suite("Live: run takeover between two kernels on PostgreSQL", .serialized)
struct TakeoverLiveTests {
    /// Kernel A renews every lease/3; it loses the run only when no renewal lands for a whole
    /// lease. 4 s tolerates a ~2.7 s stall of a kernel on a loaded machine (2 s tolerated ~1.3 s).
    static let leaseMs = 4000

    static func owner(_ k: KernelProcess) throws -> String {
        try k.call("kernel.status")["engine"]?["owner"]?.stringValue ?? ""
    }

    static func takeovers(_ k: KernelProcess) throws -> Int64 {
        try k.call("kernel.status")["engine"]?["takeovers"]?.intValue ?? -1
    }

    @Test func leaseSettingIsReportedAndValidated() throws {
        let k = try KernelProcess.start(env: ["MCPK_RUN_LEASE_MS": "1500"])
        defer { k.stop() }
        let engine = try k.call("kernel.status")["engine"]
        #expect(engine?["lease_ms"]?.intValue == 1500)
        #expect(engine?["takeovers"]?.intValue == 0)
        #expect(engine?["lease_lapsed"] == false)
        do {
            let bad = try KernelProcess.start(env: ["MCPK_RUN_LEASE_MS": "999"])
            bad.stop()
            Issue.record("a kernel started with a 999 ms lease")
        } catch let e as KernelError {
            #expect(e.message.contains("MCPK_RUN_LEASE_MS must be an integer of at least 1000 (got '999')"), "\(e.message)")
        }
    }

    @Test func killedOwnersRunIsTakenOverAliveOwnersIsNot() throws {
        guard LiveBackend.pgURL != nil || LiveBackend.isCI else {
            print("TakeoverLiveTests: MCPK_TEST_PG_URL is not set: skipped (run `make test` or scripts/pg-test.sh start)")
            return
        }
        var env = try LiveBackend.postgres.environment()
        env["MCPK_RUN_LEASE_MS"] = String(Self.leaseMs)
        env["MCPK_MAX_CONCURRENT_STEPS"] = "4"
        let first = try KernelProcess.start(env: env)
        let second = try KernelProcess.start(env: env)
        defer { first.stop(); second.stop() }
        var a = first, b = second
        #expect(try a.call("kernel.status")["engine"]?["lease_ms"]?.intValue == Int64(Self.leaseMs))

        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        _ = try a.call("component.create", ["name": .string("mark" + tag), "config": ["type": "Python Script", "codeContent": """
        import os, time
        def main(name, **kw):
            print("ran", name, "attempt", os.environ["MCPK_ATTEMPT"], flush=True)
            if name == "s2" and os.environ["MCPK_ATTEMPT"] == "1":
                time.sleep(120)
            return {"name": name}
        """]])
        let steps: [JSON] = (1...4).map { i in
            var o = JSONObject([("id", .string("s\(i)")), ("component", .string("mark" + tag)), ("inputs", ["name": .string("s\(i)")])])
            if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
            if i == 2 { o["retries"] = ["max": 1, "backoffSeconds": 0] }
            return .object(o)
        }
        _ = try a.call("workflow.create", ["name": .string("four" + tag), "definition": ["steps": .array(steps)]])
        let id = try a.call("workflow.run", ["id": .string("four" + tag)])["run_id"]?.stringValue ?? ""

        func events(_ k: KernelProcess) throws -> [JSON] { try k.runEvents(id) }
        func stdout(_ k: KernelProcess) throws -> [String] {
            try events(k).filter { $0["type"] == "log" && $0["payload"]?["stream"] == "stdout" }.compactMap { $0["payload"]?["line"]?.stringValue }
        }
        let deadline = Date().addingTimeInterval(60)
        while try !stdout(a).contains("ran s2 attempt 1") {
            guard Date() < deadline else { Issue.record("s2 never started: \(a.log())"); return }
            usleep(50_000)
        }
        // The shared queue: whichever kernel claimed the run is "A" from here on.
        if try a.call("run.get", ["id": .string(id)])["owner"]?.stringValue == (try Self.owner(b)) { swap(&a, &b) }
        let ownerA = try Self.owner(a), ownerB = try Self.owner(b)
        #expect(!ownerA.isEmpty && !ownerB.isEmpty && ownerA != ownerB)
        // A is alive and renewing: over several lease periods B never takes the run over.
        let aliveUntil = Date().addingTimeInterval(Double(Self.leaseMs) * 3.5 / 1000)
        while Date() < aliveUntil {
            #expect(try b.call("run.get", ["id": .string(id)])["owner"]?.stringValue == ownerA)
            usleep(250_000)
        }
        #expect(try Self.takeovers(b) == 0)
        #expect(try b.call("run.get", ["id": .string(id)])["status"] == "running")
        let before = try events(a).count

        // A dies for good (its sandboxed step dies with it); B takes the run over and finishes it.
        a.kill9()
        var final: JSON = .null
        let finishBy = Date().addingTimeInterval(90)
        while Date() < finishBy {
            let r = try b.call("run.get", ["id": .string(id)])
            if let s = r["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { final = r; break }
            usleep(100_000)
        }
        #expect(final["status"] == "succeeded", "\(final) \(b.log())")
        #expect(final["owner"]?.stringValue == ownerB)
        #expect(try Self.takeovers(b) == 1)
        #expect(try stdout(b) == ["ran s1 attempt 1", "ran s2 attempt 1", "ran s2 attempt 2", "ran s3 attempt 1", "ran s4 attempt 1"])
        let s2 = final["steps"]?.arrayValue?.first { $0["id"] == "s2" }
        #expect(s2?["attempts"]?.arrayValue?.first?["error"]?.stringValue == "interrupted: kernel \(ownerA) lost its lease")
        let all = try events(b)
        #expect(all.count > before)
        #expect(all.enumerated().allSatisfy { $0.element["seq"]?.intValue == Int64($0.offset + 1) })
        #expect(all.last?["type"] == "end")
        #expect(all.contains { $0["type"] == "log" && $0["payload"]?["line"]?.stringValue == "run taken over by kernel \(ownerB) from kernel \(ownerA) (lease expired)" })
        let audit = try b.call("audit.list", ["entity_id": .string(id), "action_type": "run.takeover"])["items"]?.arrayValue ?? []
        #expect(audit.count == 1)
        #expect(audit.first?["actor"]?.stringValue == ownerB)
        #expect(audit.first?["details"]?["previous_owner"]?.stringValue == ownerA)
    }
}
