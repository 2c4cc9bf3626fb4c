import Testing
@testable import KernelCore
@testable import KernelDispatch
@testable import KernelServices
import KernelLoop
import KernelStore

@Suite struct ConfigurationTests {
    func resolve(flags: [String: String] = [:], env: [String: String] = [:], dotEnv: String? = nil) throws -> KernelConfiguration {
        try KernelConfiguration.resolve(flags: flags, environment: env, dotEnv: dotEnv, workingDirectory: "/w",
                                        bundledPluginDir: "/opt/mcpk/lib")
    }

    @Test func defaults() throws {
        let c = try resolve()
        #expect(c.home == "/w/.mcpk")
        #expect(c.socketPath == "/w/.mcpk/mcpk.sock")
        #expect(c.httpAddress == "127.0.0.1:8470")
        #expect(c.pluginDirs == ["/opt/mcpk/lib", "/w/.mcpk/plugins"])
        #expect(c.databaseURL == "sqlite:///w/.mcpk/mcpk.db")
        #expect(c.token == nil)
        #expect(c.storeKind == "sqlite")
    }

    @Test func flagsBeatEnvironmentBeatDotEnv() throws {
        let dot = "MCPK_HOME=/from-file\nMCPK_HTTP=127.0.0.1:1\nDATABASE_URL=postgres://u:pw@h/db\n"
        let c = try resolve(flags: ["MCPK_HTTP": "127.0.0.1:3"], env: ["MCPK_HTTP": "127.0.0.1:2", "MCPK_HOME": "rel"], dotEnv: dot)
        #expect(c.httpAddress == "127.0.0.1:3")
        #expect(c.home == "/w/rel")
        #expect(c.databaseURL == "postgres://u:pw@h/db")
        #expect(c.redactedDatabaseURL == "postgres://u:***@h/db")
        #expect(c.storeKind == "postgres")
        let fileOnly = try resolve(dotEnv: dot)
        #expect(fileOnly.home == "/from-file")
        #expect(fileOnly.httpAddress == "127.0.0.1:1")
    }

    @Test func pluginPathIsColonSeparated() throws {
        let c = try resolve(env: ["MCPK_PLUGIN_PATH": "/a:b:/a"])
        #expect(c.pluginDirs == ["/a", "/w/b"])
    }

    @Test func nonLoopbackNeedsToken() throws {
        #expect(throws: KernelError.self) { try resolve(flags: ["MCPK_HTTP": "0.0.0.0:8470"]) }
        let c = try resolve(flags: ["MCPK_HTTP": "0.0.0.0:8470", "MCPK_TOKEN": "t"])
        #expect(!c.httpIsLoopback)
        #expect(try resolve(flags: ["MCPK_HTTP": "[::1]:8470"]).httpIsLoopback)
        #expect(try resolve(flags: ["MCPK_HTTP": "off"]).httpEndpoint == nil)
    }

    @Test func rejectsBadValues() {
        #expect(throws: KernelError.self) { try resolve(flags: ["MCPK_HTTP": "nonsense"]) }
        #expect(throws: KernelError.self) { try resolve(flags: ["DATABASE_URL": "mysql://x"]) }
        #expect(throws: KernelError.self) { try resolve(flags: ["MCPK_SOCKET": "/" + String(repeating: "s", count: 120)]) }
        #expect(throws: KernelError.self) { try resolve(dotEnv: "oops") }
    }
}

@Suite struct DispatcherTests {
    @Test func routesToHandlersAndMapsErrors() async throws {
        let (ok, missing, failing, notObject) = await Task { @KernelActor in
            let d = Dispatcher()
            d.register("echo", summary: "echo") { p, _ in p.json }
            d.register("fail", summary: "fail") { _, _ in throw KernelError.conflict("busy") }
            let ctx = CallContext(actor: "test", transport: .internal)
            return (await d.call("echo", params: ["a": 1], context: ctx),
                    await d.call("nope", params: .null, context: ctx),
                    await d.call("fail", params: .null, context: ctx),
                    await d.call("echo", params: [1, 2], context: ctx))
        }.value
        #expect(try ok.get()["a"] == .int(1))
        guard case .failure(.methodNotFound("nope")) = missing else { Issue.record("expected method not found"); return }
        guard case .failure(.kernel(let e)) = failing else { Issue.record("expected kernel error"); return }
        #expect(e.kind == .conflict)
        #expect(RPCError.object(.kernel(e))["code"]?.intValue == RPCError.conflict)
        guard case .failure(.kernel(let e2)) = notObject else { Issue.record("expected invalid params"); return }
        #expect(e2.kind == .invalidParams)
    }
}

@Suite struct RedisConfigurationTests {
    func resolve(env: [String: String] = [:], dotEnv: String? = nil) throws -> KernelConfiguration {
        try KernelConfiguration.resolve(flags: [:], environment: env, dotEnv: dotEnv, workingDirectory: "/w", bundledPluginDir: nil)
    }

    @Test func redisIsOptionalAndReadLikeOtherSettings() throws {
        #expect(try resolve().redis == nil)
        let seed = try resolve(dotEnv: "REDIS_HOST=localhost\nREDIS_PORT=6380\n")
        #expect(seed.redis?.host == "localhost" && seed.redis?.port == 6380)
        let both = try resolve(env: ["REDIS_URL": "redis://r:7000/1"], dotEnv: "REDIS_HOST=localhost\n")
        #expect(both.redis == RedisEndpoint(host: "r", port: 7000, database: 1))
    }

    @Test func aPortWithoutHostOrABadURLIsAnError() {
        #expect(throws: KernelError.self) { try resolve(dotEnv: "REDIS_PORT=6379\n") }
        #expect(throws: KernelError.self) { try resolve(env: ["REDIS_URL": "localhost:6379"]) }
        #expect(throws: KernelError.self) { try resolve(env: ["REDIS_HOST": "h", "REDIS_PORT": "99999"]) }
    }
}
