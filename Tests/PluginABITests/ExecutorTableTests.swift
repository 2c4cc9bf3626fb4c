import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import MCPKPluginABI
import Testing

/// An executor plugin's table is validated at load and offered to the sandbox.
@Suite struct ExecutorTableTests {
    @Test @KernelActor func executorTableIsOfferedWithItsComponentTypes() async throws {
        let dir = TestSupport.tempDir("exec")
        let so = try TestSupport.buildFixture(TestSupport.fixture("echoexec.c"), into: dir, name: "echoexec")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        let info = try await host.load(path: so)
        #expect(info.metadata?.kinds == .executor)
        #expect(info.metadata?.componentTypes == ["Utility"])
        #expect(host.executorRoutes() == ["Utility": "echoexec"])
        let lease = try #require(host.executor(forType: "Utility"))
        #expect(lease.plugin == "echoexec")
        #expect(host.executor(forType: "Data") == nil)
        let e = try #require(lease.table)
        // Call plan through the table, as the sandbox does.
        var out = mcpk_string()
        var err = mcpk_error()
        var step = mcpk_step()
        step.struct_size = MemoryLayout<mcpk_step>.size
        let status: Int32 = "s1".withCString { id in
            step.step_id = id
            return e.table.pointee.plan!(e.pluginData, &step, &out, &err)
        }
        #expect(status == Int32(MCPK_STATUS_OK))
        let text = String(cString: out.data)
        out.release?(&out)
        #expect(try JSONParser.parse(text)["argv"] == ["/bin/echo", "s1"])
        // A held lease pins the plugin: unload is refused until it is released.
        await #expect(throws: KernelError.self) { try await host.unload(name: "echoexec") }
        lease.release()
        try await host.unload(name: "echoexec")
        #expect(host.executorRoutes().isEmpty)
        await host.shutdown()
    }
}
