import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// The bundled fixtures (`mcpk-testops`) are built with the kernel but skipped
/// by discovery; they load by path, and a host may opt them back in.
@Suite struct FixtureDiscoveryTests {
    @Test @KernelActor func discoverySkipsFixturesWhichStillLoadByPath() async throws {
        let dir = TestSupport.tempDir("fixtures")
        TestSupport.sh("cp '\(TestSupport.bundled("mcpk-testops"))' '\(TestSupport.bundled("mcpk-sqlite"))' '\(dir)/'")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [dir]))
        #expect(PluginHostConfiguration.bundledFixtures == ["mcpk-testops"])
        let list = await host.discover()
        #expect(list.map(\.name) == ["sqlite"])
        #expect(host.info(name: "testops") == nil)
        // Discovering again still skips it; loading it by path works.
        #expect(await host.discover().map(\.name) == ["sqlite"])
        let info = try await host.load(path: dir + "/libmcpk-testops.so")
        #expect(info.name == "testops" && info.state == .loaded)
        #expect(try await host.call(plugin: "testops", op: "repeat", args: ["a", 2]) == "aa")
        await host.shutdown()

        // A host configured without fixtures discovers it like any plugin.
        let all = PluginHost(configuration: PluginHostConfiguration(directories: [dir], fixtureLibraries: []))
        #expect(Set(await all.discover().map(\.name)) == ["sqlite", "testops"])
        await all.shutdown()
    }
}
