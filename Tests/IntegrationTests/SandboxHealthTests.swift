import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// The sandbox probe of a real `mcpk serve`, as `dashboard.health` reports it.
@Suite(.serialized) struct SandboxHealthTests {
    @Test func healthReportsEverySandboxLayerTruthfully() throws {
        let k = try KernelProcess.start()
        defer { k.stop() }
        let h = try k.call("dashboard.health")
        let s = try #require(h["sandbox"])
        #expect(s["mode"] == "bubblewrap")
        #expect(s["ready"] == true, "\(s)")
        #expect(s["namespaces"] == true)
        #expect(s["seccomp"] == true)
        #expect(s["rlimits"] == true)
        #expect(s["no_new_privs"] == true)
        #expect(s["network_isolation"] == true)
        #expect(s["cgroups"] != nil)
        // The probe step cleaned up after itself.
        #expect(access(k.home + "/work/_probe/sandbox/1", F_OK) != 0)
    }

    @Test func withoutBubblewrapTheKernelSaysSoInRed() throws {
        // MCPK_SANDBOX=none is the operator's explicit choice: ready, but red and without namespaces/seccomp.
        let k = try KernelProcess.start(env: ["MCPK_SANDBOX": "none"])
        defer { k.stop() }
        let s = try #require(try k.call("dashboard.health")["sandbox"])
        #expect(s["mode"] == "none")
        #expect(s["status"] == "red")
        #expect(s["namespaces"] == false)
        #expect(s["seccomp"] == false)
        #expect(s["network_isolation"] == false)
    }
}
