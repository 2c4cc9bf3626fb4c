import PluginTestSupport
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// Connector calls through the host: typed cells, params, max_rows, cancel,
/// timeout, errors, in both isolation modes.
@Suite struct ConnectorCallTests {
    @KernelActor static func host(_ isolation: PluginIsolation) async throws -> PluginHost {
        let host = PluginHost(configuration: PluginHostConfiguration(
            directories: [], childCommand: [TestSupport.mcpkExecutable, "plugin-host"]))
        _ = try await host.load(path: TestSupport.bundled("mcpk-testops"), isolation: isolation)
        return host
    }

    @Test(arguments: PluginIsolation.allCases) @KernelActor
    func typedRowsParamsAndMaxRows(isolation: PluginIsolation) async throws {
        let host = try await Self.host(isolation)
        let conn = try await host.connect(plugin: "testops", config: ["rows": 5], secret: nil)
        let t = try await conn.test()
        #expect(t.serverVersion == "testops 1.0")
        let r = try await conn.query(QueryRequest(sql: "seq", maxRows: 2))
        #expect(r.columns.map(\.name) == ["n", "label", "half", "even", "blob"])
        #expect(r.columns.map(\.type) == ["int64", "text", "double", "bool", "bytes"])
        #expect(r.rows == [[1, "row 1", 0.5, false, "AQL/"], [2, "row 2", 1.0, true, "AQL/"]])
        #expect(r.truncated)
        let all = try await conn.query(QueryRequest(sql: "seq"))
        #expect(all.rows.count == 5 && !all.truncated)
        #expect(all.rows[2][3] == .null)
        let echo = try await conn.query(QueryRequest(sql: "echo", params: [1, "two", 3.5, true, .null, ["a": 1]]))
        #expect(echo.rows == [[1, "two", 3.5, true, .null, "{\"a\":1}"]])
        // Errors carry status kind and SQLSTATE.
        do {
            _ = try await conn.query(QueryRequest(sql: "fail"))
            Issue.record("fail succeeded")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams)
            #expect(e.message.contains("SQLSTATE 42601"))
        }
        // Timeout.
        do {
            _ = try await conn.query(QueryRequest(sql: "sleep 5000", timeoutMs: 50))
            Issue.record("timeout not enforced")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable)
            #expect(e.message.contains("timeout"))
        }
        // Cancel from another thread while the statement runs.
        let canceller = RepeatingCanceller(conn, firstAfterMs: 100)
        do {
            _ = try await conn.query(QueryRequest(sql: "sleep 10000"))
            Issue.record("cancel had no effect")
        } catch let e as KernelError {
            #expect(e.message.contains("57014"))
        }
        canceller.stop()
        // Still usable.
        #expect(try await conn.query(QueryRequest(sql: "seq 1")).rows.count == 1)
        // Unload refuses while the connection is busy (here: held by a lease), force closes it.
        #expect(conn.reserve())
        await #expect(throws: KernelError.self) { try await host.unload(name: "testops") }
        try await host.unload(name: "testops", force: true)
        #expect(conn.state == .closed)
        #expect(!conn.reserve(), "a closed connection cannot be leased")
        await host.shutdown()
    }

    @Test @KernelActor func hostCapsAPluginThatIgnoresMaxRows() async throws {
        let host = try await Self.host(.inProcess)
        let conn = try await host.connect(plugin: "testops", config: [:], secret: nil)
        // testops honours max_rows, so ask the host collector directly with a lower cap.
        let collector = RowCollector(maxRows: 3)
        try await conn.stream(QueryRequest(sql: "seq 10"), into: collector)
        #expect(collector.rows.count == 3)
        #expect(collector.truncated)
        await conn.close()
        let failed = try? await host.connect(plugin: "testops", config: ["refuse": true], secret: nil)
        #expect(failed == nil)
        await #expect(throws: KernelError(.forbidden, "bad secret (SQLSTATE 28P01)")) {
            _ = try await host.connect(plugin: "testops", config: [:], secret: "wrong")
        }
        await host.shutdown()
    }

    /// Issue 13: an idle connection does not hold its plugin: unload (and reload) close it;
    /// a leased one (busy) refuses them without force.
    @Test(arguments: PluginIsolation.allCases) @KernelActor
    func idleConnectionsAreClosedByUnloadBusyOnesBlockIt(isolation: PluginIsolation) async throws {
        let host = try await Self.host(isolation)
        let idle = try await host.connect(plugin: "testops", config: [:], secret: nil)
        let leased = try await host.connect(plugin: "testops", config: [:], secret: nil)
        #expect(try await idle.query(QueryRequest(sql: "seq 1")).rows.count == 1)
        #expect(leased.reserve() && leased.isBusy && !idle.isBusy)
        await #expect { try await host.reload(name: "testops") } throws: {
            ($0 as? KernelError)?.kind == .conflict && "\($0)".contains("1 busy connection")
        }
        #expect(idle.state == .closed, "the idle one was closed")
        #expect(leased.state == .open && host.info(name: "testops")?.openConnections == 1)
        leased.release()
        #expect(try await host.reload(name: "testops").state == .loaded)
        #expect(leased.state == .closed)
        await #expect(throws: KernelError.self) { _ = try await idle.query(QueryRequest(sql: "seq 1")) }
        await host.shutdown()
    }

    @Test @KernelActor func reloadKeepsNameAndIsolation() async throws {
        let host = try await Self.host(.inProcess)
        let info = try await host.reload(name: "testops")
        #expect(info.state == .loaded && info.isolation == .inProcess && info.name == "testops")
        await #expect(throws: KernelError.self) { _ = try await host.load(path: TestSupport.bundled("mcpk-testops")) }
        await host.shutdown()
    }
}
