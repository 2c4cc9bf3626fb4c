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

/// ABI negotiation: the host offers 1.3.0, 1.2.0, 1.1.0 then 1.0.0; a plugin may fill any
/// version the host speaks up to the one it was asked for.
@Suite struct ABINegotiationTests {
    @Test @KernelActor func olderAnswerIsAcceptedAndOverclaimIsRefused() async throws {
        #expect(PluginABI.supportedVersions == [1_003_000, 1_002_000, 1_001_000, 1_000_000])
        let dir = TestSupport.tempDir("abi")
        let older = try TestSupport.buildFixture(TestSupport.fixture("abicheck.c"), into: dir, name: "olderabi")
        let over = dir + "/liboverclaim.so"
        let rc = TestSupport.sh("cc -shared -fPIC -DOVERCLAIM -I'\(TestSupport.root)/include' '\(TestSupport.fixture("abicheck.c"))' -o '\(over)'")
        #expect(rc == 0)
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        // Answered OK to 1.1.0 while filling 1.0.0: runs as 1.0.0.
        let info = try await host.load(path: older)
        #expect(info.metadata?.abiVersion == 1_000_000)
        // Asked for 1.0.0 (after refusing 1.1.0) but claims 1.1.0: refused.
        await #expect(throws: KernelError.self) { try await host.load(path: over) }
        #expect(host.list().first { $0.path == over }?.loadError?.reason == "wrong_abi")
        await host.shutdown()
    }
}

/// Leases pin an executor plugin: a forced unload revokes them, and a lease that is
/// still held keeps the library mapped until it is released.
@Suite struct ExecutorLeaseTests {
    @Test @KernelActor func forcedUnloadRevokesAndALeaseNeverOutlivesTheLibrary() async throws {
        let dir = TestSupport.tempDir("lease")
        let so = try TestSupport.buildFixture(TestSupport.fixture("echoexec.c"), into: dir, name: "echoexec")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        _ = try await host.load(path: so)
        let step = ExecutorStep(componentType: "Utility", config: [:], inputs: [:], workDirectory: "/tmp", runId: "r",
                                stepId: "still-here", attempt: 1, runtimeDirectory: nil)
        // A step that stops when revoked gives its lease back: the unload completes.
        let polite = try #require(host.executor(forType: "Utility"))
        var revokedWith: String?
        polite.onRevoke { why in
            revokedWith = why
            polite.release()
        }
        #expect(host.leaseCount(plugin: "echoexec") == 1)
        try await host.unload(name: "echoexec", force: true)
        #expect(revokedWith?.contains("unloaded") == true)
        #expect(host.executor(forType: "Utility") == nil)

        // A step that does not let go: the plugin is unloaded from the host (routing, list)
        // but its library stays mapped, so the held lease still works until released.
        _ = try await host.load(path: so)
        let stubborn = try #require(host.executor(forType: "Utility"))
        try await host.unload(name: "echoexec", force: true)
        #expect(host.list().isEmpty && host.executorRoutes().isEmpty)
        #expect(try stubborn.plan(step)["argv"] == ["/bin/echo", "still-here"])
        stubborn.release()
        #expect(stubborn.isReleased)
        await host.shutdown()
    }
}
