import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// Every call into a plugin counts in `mcpk_plugin_calls_total{plugin, operation}`,
/// a thrown one also in `mcpk_plugin_failures_total`, under both isolations.
/// (Counters are process-wide and suites run in parallel: only increases are checked.)
@Suite struct PluginCallMetricsTests {
    static func calls(_ op: String) -> Double { Metrics.pluginCalls.value(["plugin": "testops", "operation": op]) }
    static func failures(_ op: String) -> Double { Metrics.pluginFailures.value(["plugin": "testops", "operation": op]) }

    @Test(arguments: [PluginIsolation.inProcess, .process]) @KernelActor
    func connectorCallsAndOpsAreCounted(isolation: PluginIsolation) async throws {
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [], childCommand: [TestSupport.mcpkExecutable, "plugin-host"]))
        _ = try await host.load(path: TestSupport.bundled("mcpk-testops"), isolation: isolation)
        let before = ["open", "test", "execute", "scan", "op"].map { ($0, Self.calls($0), Self.failures($0)) }
        let conn = try await host.connect(plugin: "testops", config: ["rows": 2], secret: nil)
        _ = try await conn.test()
        _ = try await conn.query(QueryRequest(sql: "seq"))
        _ = try? await conn.scan()
        _ = try await host.call(plugin: "testops", op: "repeat", args: ["a", 2])
        _ = try? await host.call(plugin: "testops", op: "repeat", args: [1])  // wrong arity: a failure
        _ = try? await host.connect(plugin: "testops", config: [:], secret: "wrong")  // refused: a failure
        await conn.close()
        for (op, calls, failures) in before {
            #expect(Self.calls(op) >= calls + 1, "\(op)")
            if op == "open" || op == "op" { #expect(Self.failures(op) >= failures + 1, "\(op) failure") }
        }
        #expect(Self.calls("op") >= before[4].1 + 2)
        #expect(Self.calls("open") >= before[0].1 + 2)
        await host.shutdown()
    }
}
