import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
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
        // Call plan through the lease, as the sandbox does.
        let step = ExecutorStep(componentType: "Utility", config: [:], inputs: [:], workDirectory: "/tmp", runId: "r",
                                stepId: "s1", attempt: 1, runtimeDirectory: nil)
        #expect(try lease.plan(step)["argv"] == ["/bin/echo", "s1"])
        #expect(lease.canPlan && !lease.canInvoke)
        // A held lease pins the plugin: unload is refused until it is released.
        await #expect(throws: KernelError.self) { try await host.unload(name: "echoexec") }
        lease.release()
        try await host.unload(name: "echoexec")
        #expect(host.executorRoutes().isEmpty)
        await host.shutdown()
    }
}
