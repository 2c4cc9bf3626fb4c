import Foundation
import KernelCore
import Testing

/// `mcpk config`: the settings `mcpk serve` would use in this directory, each with its source.
@Suite struct ConfigCommandTests {
    @Test func printsEffectiveSettingsWithTheirSourceAndRedactsSecrets() throws {
        let dir = KernelProcess.makeHome()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "MCPK_SANDBOX=none\nMCPK_CGROUP_ROOT=/from-file\nMCPK_TOKEN=file-token\nMCPK_LOG_LEVEL=debug\n"
            .write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        let env = ["MCPK_HOME": "", "MCPK_TOKEN": "", "MCPK_SANDBOX": "", "MCPK_CGROUP_ROOT": "", "MCPK_LOG_LEVEL": "warning",
                   "MCPK_PLUGIN_ISOLATION": "process"]
        let (status, out, err) = try KernelProcess.run(KernelProcess.binary, ["config", "--json", "--http", "127.0.0.1:9"],
                                                       env: env, cwd: dir)
        #expect(status == 0, "\(err)")
        let rows = Dictionary(uniqueKeysWithValues: (try JSONParser.parse(out)["items"]?.arrayValue ?? []).compactMap { r in
            r["name"]?.stringValue.map { ($0, r) }
        })
        #expect(rows["MCPK_HTTP"]?["source"] == "flag" && rows["MCPK_HTTP"]?["value"] == "127.0.0.1:9")
        #expect(rows["MCPK_LOG_LEVEL"]?["source"] == "env" && rows["MCPK_LOG_LEVEL"]?["value"] == "warning")
        #expect(rows["MCPK_PLUGIN_ISOLATION"]?["source"] == "env")
        #expect(rows["MCPK_SANDBOX"]?["source"] == ".env" && rows["MCPK_SANDBOX"]?["value"] == "none")
        #expect(rows["MCPK_CGROUP_ROOT"]?["source"] == ".env")
        #expect(rows["MCPK_TOKEN"]?["value"] == "***" && !out.contains("file-token"))
        #expect(rows["MCPK_HOME"]?["source"] == "default")
        let (tableStatus, table, _) = try KernelProcess.run(KernelProcess.binary, ["config"], env: env, cwd: dir)
        #expect(tableStatus == 0)
        #expect(table.contains("SETTING") && table.contains("SOURCE") && table.contains(".env"))
    }
}
