import HTTPTestSupport
import Foundation
import Glibc
import KernelCore
import Testing

/// The store, plugin-call and sandbox-spawn families move: `/metrics` scraped
/// over HTTP before and after a run and a query.
@Suite struct MetricsFeedLiveTests {
    /// The value of one series line (`name{labels} value`), 0 when absent.
    static func value(_ text: String, _ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    static func scrape(_ port: Int) throws -> String {
        let r = try HTTPTestClient.request(port: port, "GET", "/metrics")
        #expect(r.status == 200)
        return r.text
    }

    @Test func storePluginAndSandboxCountersMove() throws {
        let port = HTTPTestClient.freePort()
        let f = try EngineLiveTests.Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        let k = f.kernel
        try k.loadTestOps()
        let before = try Self.scrape(port)

        // A query through a connector plugin (open + execute on sqlite).
        let db = k.home + "/m.db"
        let conn = try k.call("connection.create", ["name": f.name("m"), "plugin": "sqlite", "config": ["path": .string(db), "create": true]])
        #expect(try k.call("connection.query", ["id": conn["id"] ?? .null, "sql": "SELECT 1 AS one"])["rows"] == [[1]])
        // An extra op, and one refused for its arguments (a failure).
        #expect(try k.call("plugin.call", ["plugin": "testops", "op": "repeat", "args": ["ab", 2]])["result"] == "abab")
        #expect(throws: (any Error).self) { _ = try k.call("plugin.call", ["plugin": "testops", "op": "repeat", "args": [1]]) }
        // A run with a sandboxed Python step (the python executor plans it, the sandbox spawns it).
        try f.python("p", "def main():\n    return {'ok': True}\n")
        try f.workflow("w", ["steps": [["id": "a", "component": "p"]]])
        let run = try f.wait(try f.run("w"))
        #expect(run["status"] == "succeeded", "\(run)")

        let after = try Self.scrape(port)
        func moved(_ series: String, by atLeast: Double = 1) {
            let b = Self.value(before, series), a = Self.value(after, series)
            #expect(a - b >= atLeast, "\(series): before \(b), after \(a)")
        }
        moved("mcpk_store_latency_seconds_count{operation=\"read\"}")
        moved("mcpk_store_latency_seconds_count{operation=\"write\"}")
        moved("mcpk_plugin_calls_total{plugin=\"sqlite\",operation=\"open\"}")
        moved("mcpk_plugin_calls_total{plugin=\"sqlite\",operation=\"execute\"}")
        moved("mcpk_plugin_calls_total{plugin=\"testops\",operation=\"op\"}", by: 2)
        moved("mcpk_plugin_failures_total{plugin=\"testops\",operation=\"op\"}")
        moved("mcpk_plugin_calls_total{plugin=\"python\",operation=\"plan\"}")
        // Python steps run as forks of a warm runner (outcome "warm"; cold spawns count as "ok").
        moved("mcpk_sandbox_spawns_total{outcome=\"warm\"}")
        // Successful calls are not failures.
        #expect(Self.value(after, "mcpk_plugin_failures_total{plugin=\"sqlite\",operation=\"execute\"}") == 0)
        // Bounded labels: only the declared operations appear.
        for line in after.split(separator: "\n") where line.hasPrefix("mcpk_store_latency_seconds_count{") {
            #expect(line.hasPrefix("mcpk_store_latency_seconds_count{operation=\"read\"}")
                    || line.hasPrefix("mcpk_store_latency_seconds_count{operation=\"write\"}"), "\(line)")
        }
    }
}
