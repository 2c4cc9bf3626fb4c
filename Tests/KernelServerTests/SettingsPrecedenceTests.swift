import KernelLoop
import KernelPlugins
import KernelSandbox
import Testing
@testable import KernelCore
@testable import KernelServices

/// Every `MCPK_*` setting resolves through `KernelConfiguration`: flags > environment > `.env` > default.
@Suite struct SettingsPrecedenceTests {
    func resolve(flags: [String: String] = [:], env: [String: String] = [:], dotEnv: String? = nil) throws -> KernelConfiguration {
        try KernelConfiguration.resolve(flags: flags, environment: env, dotEnv: dotEnv, workingDirectory: "/w",
                                        bundledPluginDir: "/opt/mcpk/lib")
    }

    @Test func everySettingResolvesFlagsOverEnvOverDotEnvOverDefaultAndSaysWhere() throws {
        // MCPK_SANDBOX, plugin isolation and the cgroup root resolve like every other setting.
        let dot = "MCPK_SANDBOX=none\nMCPK_PLUGIN_ISOLATION=process\nMCPK_CGROUP_ROOT=/file\nMCPK_TOKEN=from-file\n"
            + "DATABASE_URL=postgres://u:pw@h/db\n"
        let c = try resolve(flags: ["MCPK_CGROUP_ROOT": "/flag"], env: ["MCPK_PLUGIN_ISOLATION": "default=in-process"], dotEnv: dot)
        #expect(c.settings["MCPK_SANDBOX"] == "none")
        #expect(c.settings["MCPK_PLUGIN_ISOLATION"] == "default=in-process")
        #expect(c.settings["MCPK_CGROUP_ROOT"] == "/flag")
        let rows = Dictionary(uniqueKeysWithValues: c.effectiveSettings().map { ($0.name, $0) })
        #expect(rows["MCPK_CGROUP_ROOT"]?.source == .flag && rows["MCPK_CGROUP_ROOT"]?.value == "/flag")
        #expect(rows["MCPK_PLUGIN_ISOLATION"]?.source == .env)
        #expect(rows["MCPK_SANDBOX"]?.source == .dotEnv && rows["MCPK_SANDBOX"]?.value == "none")
        #expect(rows["MCPK_HOME"]?.source == .default && rows["MCPK_HOME"]?.value == "./.mcpk")
        // Secrets never print.
        #expect(rows["MCPK_TOKEN"]?.value == "***" && rows["MCPK_TOKEN"]?.source == .dotEnv)
        #expect(rows["DATABASE_URL"]?.value == "postgres://u:***@h/db")
        // The sandbox reads them from the resolved settings, not the process environment.
        let sandbox = SandboxConfiguration(home: "/h", settings: c.settings, runtimeDirectory: "/r")
        #expect(sandbox.requestedMode == .none && sandbox.cgroupRoot == "/flag")
        #expect(Kernel.pluginIsolation(c.settings[Kernel.pluginIsolationVariable]).0 == .inProcess)
        #expect(Kernel.pluginIsolation("process").0 == .process)
        // Unknown MCPK_* settings that are set are listed too.
        #expect(try resolve(env: ["MCPK_SOMETHING_NEW": "1"]).effectiveSettings().contains { $0.name == "MCPK_SOMETHING_NEW" && $0.source == KernelSetting.Source.env })
    }
}
