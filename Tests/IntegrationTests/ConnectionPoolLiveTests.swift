import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Issue 13, plugin host hardening: statements on one stored connection run concurrently over
/// its pool, a client that goes away cancels its `connection.query` at the source, idle pooled
/// connections do not hold `plugin.unload` / `plugin.reload`. Real PostgreSQL (`pg_sleep`,
/// seen in `pg_stat_activity`), real sockets; bounded polling, no timed assertion.
@Suite(.serialized) struct ConnectionPoolLiveTests {
    static let pollRounds = PluginLiveTests.pollRounds

    /// A kernel with HTTP on, a `slow` connection (its backends tagged by application_name)
    /// and a `watch` connection that counts them.
    struct Fixture {
        let k: KernelProcess
        let port: Int
        let tag: String

        init(url: String, env: [String: String] = [:]) throws {
            port = HTTPTestClient.freePort()
            k = try KernelProcess.start(env: env, http: "127.0.0.1:\(port)")
            tag = "pool" + String(Int.random(in: 100_000..<999_999))
            _ = try k.call("connection.create", ["name": "slow", "plugin": "postgres", "config": ["url": .string(url), "application_name": .string(tag)]])
            _ = try k.call("connection.create", ["name": "watch", "plugin": "postgres", "config": ["url": .string(url)]])
        }

        /// Backends of `slow` sleeping in pg_sleep right now.
        func sleeping() throws -> Int64 {
            try k.call("connection.query", ["id": "watch", "sql": .string(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND application_name = '\(tag)'")])["rows"]?[0]?[0]?.intValue ?? -1
        }

        /// Polls until `sleeping()` is `n`; true when it got there.
        func waitSleeping(_ n: Int64) throws -> Bool {
            for _ in 0..<ConnectionPoolLiveTests.pollRounds {
                if try sleeping() == n { return true }
                usleep(50_000)
            }
            return false
        }

        func metrics() throws -> String { try HTTPTestClient.request(port: port, "GET", "/metrics").text }

        /// Polls /metrics until it has `line`.
        func waitMetric(_ line: String) throws -> Bool {
            for _ in 0..<ConnectionPoolLiveTests.pollRounds {
                if try metrics().contains(line) { return true }
                usleep(50_000)
            }
            return false
        }
    }

    /// Four statements on one connection record at once: four backends sleep at the same time
    /// (a single shared connection would show one), and the pool's busy gauge says four. Under
    /// process isolation too: the plugin-host child runs each connection's calls on its own thread.
    @Test(arguments: ["in-process", "process"])
    func statementsOnOneConnectionRunConcurrentlyOverItsPool(isolation: String) throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture(url: url, env: ["MCPK_PLUGIN_ISOLATION": "mcpk-postgres=\(isolation)"])
        let postgres = try f.k.call("plugin.list")["items"]?.arrayValue?.first { $0["name"] == "postgres" }
        #expect(postgres?["isolation"]?.stringValue == isolation)
        defer { _ = f.k.stop() }
        let clients = try (0..<4).map { _ in try f.k.client() }
        var sent: [Int64] = []
        for (i, c) in clients.enumerated() {
            sent.append(try c.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(600)",
                                                                          "request_id": .string("p\(i)-\(f.tag)")]))
        }
        #expect(try f.waitSleeping(4), "four statements of one connection record sleep at once")
        #expect(try f.waitMetric(#"mcpk_connection_pool_connections{connection="slow",state="busy"} 4"#))
        for i in 0..<4 { _ = try f.k.call("connection.cancel", ["request_id": .string("p\(i)-\(f.tag)")]) }
        for (c, id) in zip(clients, sent) {
            var reply: JSON?
            while reply == nil, let m = try c.readMessage() { if m["id"]?.intValue == id { reply = m } }
            #expect(reply?["error"]?["data"]?["kind"] == "conflict", "\(reply ?? .null)")
        }
        #expect(try f.waitSleeping(0))
        // Released to the pool: four idle connections, and the next statement reuses one.
        #expect(try f.waitMetric(#"mcpk_connection_pool_connections{connection="slow",state="idle"} 4"#))
        #expect(try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 1"])["rows"] == [[1]])
        #expect(try f.metrics().contains(#"mcpk_connection_pool_connections{connection="slow",state="busy"} 0"#))
    }

    /// Past the pool size a statement waits its turn; cancelling it while it waits stops only it
    /// (`conflict`, never started), the running one goes on. A bad pool size stops the start.
    @Test func pastThePoolSizeAStatementWaitsAndCancellingTheWaiterStopsOnlyIt() throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture(url: url, env: ["MCPK_CONNECTION_POOL_SIZE": "1"])
        defer { _ = f.k.stop() }
        let a = try f.k.client(), b = try f.k.client()
        let first = try a.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(600)", "request_id": .string("a-\(f.tag)")])
        #expect(try f.waitSleeping(1))
        let second = try b.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT 2", "request_id": .string("b-\(f.tag)")])
        var cancelled = false
        for _ in 0..<Self.pollRounds where !cancelled {  // once the waiter is registered
            cancelled = try f.k.call("connection.cancel", ["request_id": .string("b-\(f.tag)")])["cancelled"] == true
            if !cancelled { usleep(50_000) }
        }
        #expect(cancelled)
        var reply: JSON?
        while reply == nil, let m = try b.readMessage() { if m["id"]?.intValue == second { reply = m } }
        #expect(reply?["error"]?["data"]?["kind"] == "conflict" && reply?["error"]?["message"]?.stringValue?.contains("before the statement started") == true,
                "\(reply ?? .null)")
        #expect(try f.sleeping() == 1, "the running statement goes on")
        #expect(try f.metrics().contains(#"mcpk_connection_pool_connections{connection="slow",state="busy"} 1"#))
        _ = try f.k.call("connection.cancel", ["request_id": .string("a-\(f.tag)")])
        reply = nil
        while reply == nil, let m = try a.readMessage() { if m["id"]?.intValue == first { reply = m } }
        #expect(reply?["error"]?["data"]?["kind"] == "conflict")
        #expect(try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 3"])["rows"] == [[3]])
        for bad in ["0", "65", "many"] {
            do {
                let k = try KernelProcess.start(env: ["MCPK_CONNECTION_POOL_SIZE": bad])
                k.stop()
                Issue.record("a kernel started with MCPK_CONNECTION_POOL_SIZE=\(bad)")
            } catch let e as KernelError {
                #expect(e.message.contains("MCPK_CONNECTION_POOL_SIZE must be an integer from 1 to 64") && e.message.contains("'\(bad)'"), "\(e.message)")
            }
        }
    }

    /// An updated record's pool is retired: the next statement runs with the new config
    /// (here another SQLite file), a deleted record's connections are closed.
    @Test func anUpdatedConnectionIsServedByANewPool() throws {
        let k = try KernelProcess.start()
        defer { _ = k.stop() }
        let c = try k.call("connection.create", ["name": "lite", "plugin": "sqlite", "config": ["path": .string(k.home + "/a.db"), "create": true]])
        let id = c["id"] ?? .null
        _ = try k.call("connection.query", ["id": id, "sql": "CREATE TABLE t(v TEXT)"])
        _ = try k.call("connection.query", ["id": id, "sql": "INSERT INTO t VALUES ('a')"])
        #expect(try k.call("connection.query", ["id": id, "sql": "SELECT v FROM t"])["rows"] == [["a"]])
        _ = try k.call("connection.update", ["id": id, "config": ["path": .string(k.home + "/b.db"), "create": true]])
        #expect(throws: (any Error).self, "b.db has no table t") { _ = try k.call("connection.query", ["id": id, "sql": "SELECT v FROM t"]) }
        _ = try k.call("connection.delete", ["id": id])
        var closed = false
        for _ in 0..<Self.pollRounds where !closed {
            closed = try k.call("plugin.list")["items"]?.arrayValue?.first { $0["name"] == "sqlite" }?["open_connections"] == 0
            if !closed { usleep(50_000) }
        }
        #expect(closed, "the deleted record's connections are closed")
    }

    /// A socket client that closes its socket while its query runs cancels it at the source; one
    /// that only half-closes (shutdown SHUT_WR) after sending still gets its reply, and one that
    /// half-closes and then goes away cancels too (`ControlServer.peerProbeMs`).
    @Test func aClosedSocketClientCancelsItsQueryAHalfClosedOneIsAnswered() throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture(url: url)
        defer { _ = f.k.stop() }
        do {
            let a = try f.k.client()
            _ = try a.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(600)"])
            #expect(try f.waitSleeping(1), "the statement runs")
        }  // `a` is released: its socket is closed
        #expect(try f.waitSleeping(0), "the statement stopped at the source")
        #expect(try f.waitMetric(#"mcpk_queries_cancelled_total{reason="client_gone"} 1"#))
        #expect(f.k.log().contains("client gone: cancelling its requests in flight"))

        let b = try f.k.client()
        let id = try b.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(0.5), 7"])
        #expect(Glibc.shutdown(b.fd, Int32(SHUT_WR)) == 0)
        let reply = try #require(try b.readMessage())
        #expect(reply["id"]?.intValue == id)
        #expect(reply["result"]?["rows"]?[0]?[1] == 7, "\(reply)")
        #expect(try b.readMessage() == nil, "then the kernel closes the connection")

        // Half-closed with a reply pending, then gone: the probe notices and cancels.
        do {
            let c = try f.k.client()
            _ = try c.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(600)"])
            #expect(Glibc.shutdown(c.fd, Int32(SHUT_WR)) == 0)
            #expect(try f.waitSleeping(1), "the statement runs")
        }  // now closed for good
        #expect(try f.waitSleeping(0), "the statement stopped at the source")
        #expect(try f.waitMetric(#"mcpk_queries_cancelled_total{reason="client_gone"} 2"#))
    }

    /// An HTTP client that closes its TCP connection while its query runs cancels it at the source.
    @Test func aClosedHTTPClientCancelsItsQuery() throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture(url: url)
        defer { _ = f.k.stop() }
        do {
            let c = try HTTPTestClient(port: f.port)
            let body = #"{"sql":"SELECT pg_sleep(600)"}"#
            try c.send("POST /api/v1/external-databases/slow/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
            #expect(try f.waitSleeping(1), "the statement runs")
        }  // the client is released: its socket is closed
        #expect(try f.waitSleeping(0), "the statement stopped at the source")
        #expect(try f.waitMetric(#"mcpk_queries_cancelled_total{reason="client_gone"} 1"#))
        #expect(f.k.log().contains("http client gone: cancelling its request"))
        #expect(try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 1"])["rows"] == [[1]], "the pool serves the next query")
    }

    /// Idle pooled connections are closed by plugin.unload / plugin.reload; a busy one still
    /// refuses them (conflict naming the busy connection) unless force.
    @Test func idlePooledConnectionsDoNotBlockUnloadOrReload() throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture(url: url)
        defer { _ = f.k.stop() }
        #expect(try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 1"])["rows"] == [[1]])
        // Idle now (both records hold an open connection): reload succeeds without force.
        #expect(try f.k.call("plugin.reload", ["name": "postgres"])["state"] == "loaded")
        #expect(try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 2"])["rows"] == [[2]], "reopened through the new library")
        // Busy: a statement runs; unload and reload are refused.
        let a = try f.k.client()
        let sent = try a.send(method: "connection.query", params: ["id": "slow", "sql": "SELECT pg_sleep(600)", "request_id": .string(f.tag)])
        #expect(try f.waitSleeping(1))
        for method in ["plugin.unload", "plugin.reload"] {
            #expect { _ = try f.k.call(method, ["name": "postgres"]) } throws: {
                "\($0)".contains("conflict") && "\($0)".contains("1 busy connection")
            }
        }
        #expect(try f.k.call("plugin.list")["items"]?.arrayValue?.contains { $0["name"] == "postgres" && $0["state"] == "loaded" } == true)
        _ = try f.k.call("connection.cancel", ["request_id": .string(f.tag)])
        var reply: JSON?
        while reply == nil, let m = try a.readMessage() { if m["id"]?.intValue == sent { reply = m } }
        #expect(reply?["error"]?["data"]?["kind"] == "conflict", "\(reply ?? .null)")
        // Idle again: unload succeeds without force.
        #expect(try f.k.call("plugin.unload", ["name": "postgres"])["unloaded"] == true)
        #expect { _ = try f.k.call("connection.query", ["id": "slow", "sql": "SELECT 3"]) } throws: { "\($0)".contains("postgres") }
    }
}
