import HTTPTestSupport
import Foundation
import Glibc
import KernelCore
import Testing

/// plugin.load / unload / reload write audit rows (a refused load too), read
/// back through `audit.list` on the socket and `/api/v1/action-logs` (what the
/// console's audit page shows).
@Suite struct PluginAuditLiveTests {
    @Test func anUnloadedPluginStaysUnloadedAcrossARestartUntilLoadedAgain() throws {
        let home = KernelProcess.makeHome()
        let dir = home + "-plugins"
        mkdir(dir, 0o700)
        let lib = dir + "/libmcpk-sqlite.so"
        #expect(Glibc.link(KernelProcess.bundledPlugin("mcpk-sqlite"), lib) == 0 || symlink(KernelProcess.bundledPlugin("mcpk-sqlite"), lib) == 0)
        let env = ["MCPK_PLUGIN_PATH": dir]
        func names(_ k: KernelProcess) throws -> [String] {
            try k.call("plugin.list")["items"]?.arrayValue?.filter { $0["state"] == "loaded" }.compactMap { $0["name"]?.stringValue } ?? []
        }
        // Every kernel object lives to the end: dropping one removes the shared home.
        let k1 = try KernelProcess.start(home: home, env: env)
        #expect(try names(k1).contains("sqlite"))
        #expect(access(home + "/plugins", F_OK) == 0) // the kernel made its plugin dir
        _ = try k1.call("plugin.unload", ["name": "sqlite"])
        #expect(k1.stop() == 0)
        let k2 = try KernelProcess.start(home: home, env: env)
        #expect(try !names(k2).contains("sqlite"), "unloaded by the operator, so not loaded at start")
        #expect(k2.log().contains("plugin unloaded by the operator"))
        _ = try k2.call("plugin.load", ["path": .string(lib)])
        #expect(k2.stop() == 0)
        let k = try KernelProcess.start(home: home, env: env)
        defer { k.stop() }
        #expect(try names(k).contains("sqlite"), "loaded again: discovered again")
        let actions = try k.call("audit.list", ["entity_type": "plugin"])["items"]?.arrayValue?.compactMap { $0["action_type"]?.stringValue }
        #expect(actions == ["plugin.load", "plugin.unload"])
    }

    @Test func pluginLifeCycleIsAudited() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let actor = "uid:\(getuid())"
        let testops = KernelProcess.bundledPlugin("mcpk-testops")

        // 1. A load.
        #expect(try k.loadTestOps()["state"] == "loaded")
        // 2. A refused load (init fails): audited with the reason, then thrown.
        let broken = k.home + "/libinitfail.so"
        let (rc, _, err) = try KernelProcess.run("/bin/sh", ["-c",
            "cc -shared -fPIC -I'\(PluginLiveTests.root)/include' '\(PluginLiveTests.root)/Tests/PluginABITests/Fixtures/initfail.c' -o '\(broken)'"])
        #expect(rc == 0, "\(err)")
        #expect(throws: (any Error).self) { _ = try k.call("plugin.load", ["path": .string(broken)]) }
        // 3. An unload with force while a connection is open.
        let c = try k.call("connection.create", ["name": "t", "plugin": "testops", "config": ["rows": 2]])
        #expect(try k.call("connection.query", ["id": c["id"] ?? .null, "sql": "seq"])["rows"]?.arrayValue?.count == 2)
        _ = try k.call("plugin.unload", ["name": "testops", "force": true])
        // 4. A load in a process and 5. a reload.
        _ = try k.loadTestOps(isolation: "process")
        #expect(try k.call("plugin.reload", ["name": "testops"])["state"] == "loaded")
        // A refused unload (unknown name) changes nothing and writes nothing.
        #expect(throws: (any Error).self) { _ = try k.call("plugin.unload", ["name": "no-such-plugin"]) }

        let items = try k.call("audit.list", ["entity_type": "plugin"])["items"]?.arrayValue ?? []
        #expect(items.compactMap { $0["action_type"]?.stringValue } == ["plugin.reload", "plugin.load", "plugin.unload", "plugin.load", "plugin.load"],
                "\(items)")
        for e in items {
            #expect(e["actor"]?.stringValue == actor)
            #expect(e["entity_type"] == "plugin")
        }
        guard items.count == 5 else { return }
        let (reload, load2, unload, refused, load1) = (items[0], items[1], items[2], items[3], items[4])
        #expect(load1["entity_id"] == "testops")
        #expect(load1["details"]?["path"]?.stringValue == testops)
        #expect(load1["details"]?["isolation"] == "in-process")
        #expect(load1["details"]?["kinds"] == ["connector"])
        #expect(load1["details"]?["abi"]?.stringValue?.hasPrefix("1.") == true)
        #expect(load1["details"]?["component_types"] == [])
        #expect(load1["details"]?["outcome"] == "ok")

        #expect(refused["entity_id"] == "libinitfail.so")
        #expect(refused["details"]?["path"]?.stringValue == broken)
        #expect(refused["details"]?["outcome"] == "refused")
        #expect(refused["details"]?["load_error"]?["reason"] == "init_failed")
        #expect(refused["details"]?["error"]?.stringValue?.contains("license file") == true, "\(refused)")

        #expect(unload["entity_id"] == "testops")
        #expect(unload["details"]?["force"] == true)
        #expect(unload["details"]?["path"]?.stringValue == testops)

        #expect(load2["details"]?["isolation"] == "process")
        #expect(reload["entity_id"] == "testops")
        #expect(reload["details"]?["isolation"] == "process")
        #expect(reload["details"]?["force"] == false)
        #expect(reload["details"]?["outcome"] == "ok")

        // The console's audit page reads the same rows over HTTP, filtered by entity.
        let http = try HTTPTestClient.request(port: port, "GET", "/api/v1/action-logs?entity_type=plugin&entity_id=testops")
        #expect(http.status == 200, "\(http.text)")
        #expect(http.json["items"]?.arrayValue?.count == 4, "\(http.text)")
    }
}
