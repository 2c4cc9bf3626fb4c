import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// A private `redis-server` (scripts/redis-test.sh on a free port with its own state file), so a
/// test can stop and start it without disturbing the suite's shared one.
struct PrivateRedis {
    let server = TestServerScript("redis-test.sh", portVariable: "MCPK_TEST_REDIS_PORT",
                                  stateVariable: "MCPK_TEST_REDIS_STATE", statePrefix: "redis-private")

    @discardableResult
    func run(_ command: String) throws -> String { try server.run(command) }

    func cleanUp() { server.stopAndClean() }

    static var available: Bool { access("/usr/bin/redis-server", X_OK) == 0 }
}

/// Two real kernels on one real PostgreSQL with a real Redis (issue 14): an SSE client on one
/// kernel streams a run executing on the other through Redis pub/sub; Redis stopped mid-run →
/// the kernel says so in `dashboard.health` (fallback to NOTIFY), nothing is lost, and it
/// reconnects when Redis is back.
@Suite("Live: run events through Redis across kernels", .serialized)
struct RedisLiveTests {
    static var skipped: Bool {
        guard (LiveBackend.pgURL != nil && PrivateRedis.available) || LiveBackend.isCI else {
            print("RedisLiveTests: MCPK_TEST_PG_URL is not set or redis-server is missing: skipped (run `make test`)")
            return true
        }
        return false
    }

    static func health(_ k: KernelProcess) throws -> JSON { try k.call("dashboard.health")["redis"] ?? .null }

    static func waitFor(_ what: String, seconds: Double = 30, _ k: KernelProcess, _ cond: () throws -> Bool) throws {
        let by = Date().addingTimeInterval(seconds)
        while Date() < by {
            if try cond() { return }
            usleep(20_000)
        }
        Issue.record("timed out waiting for \(what): redis \(try health(k))")
    }

    @Test func sseAcrossKernelsThroughRedisSurvivesARedisRestart() throws {
        guard !Self.skipped else { return }
        let redis = PrivateRedis()
        let url = try redis.run("start")
        defer { redis.cleanUp() }
        var env = try LiveBackend.postgres.environment()
        env["MCPK_RUN_LEASE_MS"] = "2000"
        env["REDIS_URL"] = url
        let ports = [HTTPTestClient.freePort(), HTTPTestClient.freePort()]
        let kernels = try ports.map { try KernelProcess.start(env: env, http: "127.0.0.1:\($0)") }
        defer { for k in kernels { k.stop() } }
        for k in kernels { try Self.waitFor("redis connected", k) { try Self.health(k)["connected"] == true } }
        #expect(try Self.health(kernels[0])["configured"] == true)
        #expect(try Self.health(kernels[0])["fallback_active"] == false)
        let owners = try kernels.map { try $0.call("kernel.status")["engine"]?["owner"]?.stringValue ?? "" }
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        let lines = 400
        _ = try kernels[0].call("component.create", ["name": .string("talk" + tag), "config": ["type": "Python Script", "codeContent": .string("""
        import time
        def main():
            for i in range(\(lines)):
                print(f"line {i}", flush=True)
                time.sleep(0.01)
            return {"lines": \(lines)}
        """)]])
        _ = try kernels[0].call("workflow.create", ["name": .string("talks" + tag), "definition": ["steps": [["id": "t", "component": .string("talk" + tag)]]]])
        let id = try #require(try kernels[0].call("workflow.run", ["id": .string("talks" + tag)])["run_id"]?.stringValue)
        var owner: String?
        try Self.waitFor("the run claimed", seconds: 60, kernels[0]) {
            owner = try kernels[0].call("run.get", ["id": .string(id)])["owner"]?.stringValue
            return owner != nil
        }
        let executing = try #require(owner.flatMap { owners.firstIndex(of: $0) })
        let follower = kernels[1 - executing]
        let port = ports[1 - executing]

        // An SSE client on the other kernel: the first 40 events, then Redis goes away.
        let a = try HTTPTestClient(port: port, timeoutSeconds: 60)
        try a.send("GET /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        _ = try a.readStream { HTTPSSELiveTests.ids($0).count >= 40 || $0.contains("event: end\n") }
        try Self.waitFor("events delivered from Redis", seconds: 20, follower) {
            (try Self.health(follower)["events"]?["events_delivered"]?.intValue ?? 0) > 0
        }
        try redis.run("stop")
        try Self.waitFor("fallback shown in dashboard.health", follower) {
            let h = try Self.health(follower)
            return h["fallback_active"] == true && h["connected"] == false && h["last_error"]?.stringValue != nil
        }
        // Events keep coming through NOTIFY + store reads meanwhile (the buffer holds the whole stream).
        let seen = HTTPSSELiveTests.ids(try a.readStream { _ in true }).count
        let during = try a.readStream { HTTPSSELiveTests.ids($0).count >= seen + 30 || $0.contains("event: end\n") }
        try redis.run("start")
        try Self.waitFor("Redis reconnected", follower) {
            let h = try Self.health(follower)
            return h["connected"] == true && h["fallback_active"] == false && (h["reconnects"]?.intValue ?? 0) >= 1
        }
        let first = HTTPSSELiveTests.ids(during)
        let last = try #require(first.last)
        shutdown(a.fd, Int32(SHUT_RDWR))
        // Resume by Last-Event-ID on the same kernel, to the end.
        let b = try HTTPTestClient(port: port, timeoutSeconds: 60)
        try b.send("GET /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(last)\r\n\r\n")
        let secondText = try b.readToEOF()
        let second = HTTPSSELiveTests.ids(secondText)
        #expect(HTTPSSELiveTests.events(secondText).last == "end")
        let union = first + second
        let n = try #require(union.last)
        #expect(union == Array(1...n), "first \(first.count), second \(second.count), distinct \(Set(union).count), max \(n)")
        #expect(secondText.contains("line \(lines - 1)"))
        let stored = try follower.runEvents(id)
        #expect(stored.count == n && stored.last?["type"] == "end")
        #expect((try Self.health(follower)["losses"]?.intValue ?? 0) >= 1)
    }
}
