import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// Broken libraries are refused with a clear reason and the host keeps working.
@Suite struct BrokenPluginTests {
    /// Polls (50 ms) for the crashed plugin-host child to be restarted: 60 s on a loaded machine.
    static let restartPollRounds = 1200

    @Test @KernelActor func brokenLibrariesAreReportedAndSkipped() async throws {
        let dir = TestSupport.tempDir("broken")
        for name in ["nosymbol", "wrongabi", "liar", "smalltable", "initfail", "badop"] {
            _ = try TestSupport.buildFixture(TestSupport.fixture("\(name).c"), into: dir, name: name)
        }
        TestSupport.sh("cp '\(TestSupport.bundled("mcpk-testops"))' '\(dir)/'")
        TestSupport.sh("echo 'not an ELF file' > '\(dir)/libgarbage.so'")
        // Fixtures are not discovered by default; this host lists none.
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [dir], fixtureLibraries: []))
        let list = await host.discover()
        func entry(_ file: String) -> PluginInfo? { list.first { $0.path.hasSuffix("/lib\(file).so") } }

        #expect(entry("nosymbol")?.state == .failed)
        #expect(entry("nosymbol")?.loadError?.reason == "no_symbol")
        #expect(entry("nosymbol")?.loadError?.message.contains("does not export mcpk_plugin_init") == true)
        #expect(entry("wrongabi")?.loadError?.reason == "wrong_abi")
        #expect(entry("wrongabi")?.loadError?.message.contains("1.0.0") == true)
        #expect(entry("liar")?.loadError?.reason == "wrong_abi")
        #expect(entry("liar")?.loadError?.message.contains("2.0.0") == true)
        #expect(entry("smalltable")?.loadError?.reason == "table_too_small")
        #expect(entry("initfail")?.loadError?.reason == "init_failed")
        #expect(entry("initfail")?.loadError?.message.contains("license file /nonexistent/license.key not found") == true)
        #expect(entry("badop")?.loadError?.reason == "invalid_metadata")
        #expect(entry("garbage")?.loadError?.reason == "open_failed")
        // The good plugin beside them loaded and works.
        #expect(entry("mcpk-testops")?.state == .loaded)
        let conn = try await host.connect(plugin: "testops", config: ["rows": 2], secret: nil)
        let r = try await conn.query(QueryRequest(sql: "seq"))
        #expect(r.rows.count == 2)
        await conn.close()
        // plugin.load of a broken file: invalid_params with the reason.
        do {
            _ = try await host.load(path: dir + "/libinitfail.so")
            Issue.record("load of a failing plugin succeeded")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams)
            #expect(e.message.contains("init_failed"))
        }
        await host.shutdown()
    }

    @Test @KernelActor func segfaultUnderProcessIsolationLeavesHostUnharmed() async throws {
        let mcpk = TestSupport.mcpkExecutable
        #expect(TestSupport.sh("test -x '\(mcpk)'") == 0, "build the mcpk executable first (swift build)")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [], childCommand: [mcpk, "plugin-host"]))
        let info = try await host.load(path: TestSupport.bundled("mcpk-testops"), isolation: .process)
        #expect(info.isolation == .process)
        #expect(info.state == .loaded)
        // Calls work across the pipe, including extra operations.
        let conn = try await host.connect(plugin: "testops", config: ["rows": 4], secret: nil)
        let r = try await conn.query(QueryRequest(sql: "seq", maxRows: 3))
        #expect(r.rows.count == 3)
        #expect(r.truncated)
        #expect(try await host.call(plugin: "testops", op: "repeat", args: ["ab", 3]) == "ababab")
        // The plugin segfaults in execute: the call fails unavailable, the kernel lives.
        do {
            _ = try await conn.query(QueryRequest(sql: "crash"))
            Issue.record("crash query succeeded")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable, "\(e)")
        }
        let crashed = host.info(name: "testops")
        #expect(crashed?.crashes == 1)
        #expect(crashed?.lastCrash?.contains("signal 11") == true)
        // Restarted with backoff: new connections work again.
        var restarted = false
        for _ in 0..<Self.restartPollRounds {
            if host.info(name: "testops")?.state == .loaded { restarted = true; break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(restarted)
        // The old connection died with the child.
        await #expect(throws: KernelError.self) { _ = try await conn.query(QueryRequest(sql: "seq 1")) }
        let conn2 = try await host.connect(plugin: "testops", config: [:], secret: nil)
        #expect(try await conn2.query(QueryRequest(sql: "seq 2")).rows.count == 2)
        await conn2.close()
        await host.shutdown()
    }
}
