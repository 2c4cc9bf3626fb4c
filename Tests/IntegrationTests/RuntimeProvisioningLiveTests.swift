import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// The step runtimes the kernel provisions itself (issue 12), through a real `mcpk serve` on a
/// fresh home that has no runtime: MCPK_PYTHON_RUNTIME is emptied, so the runtime lives at
/// `$MCPK_HOME/runtimes/python`. The build installs the repository's pins from PyPI into that
/// venv through pip's shared cache (`make runtime` warms it with the same pins).
@Suite(.serialized) struct RuntimeProvisioningLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    /// How long the first notebook step may wait for the runtime build (a cold pip cache downloads ~150 MB).
    static let buildTimeoutSeconds = 1500.0

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `name==version` of one package in runtime/python/requirements.lock.
    static func pinnedVersion(_ package: String) -> String? {
        let text = (try? String(contentsOf: repositoryRoot.appendingPathComponent("runtime/python/requirements.lock"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.lowercased().hasPrefix(package + "==") }.map { String($0.split(separator: "=").last ?? "") }
    }

    static func runtime(_ status: JSON, _ name: String) -> JSON? {
        status["items"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    static let notebook: JSON = ["type": "Jupyter Notebook", "notebookCells": [
        ["id": "c1", "type": "code", "content": "n = 2", "tags": ["parameters"]],
        ["id": "c2", "type": "code", "content": "import nbformat, nbclient\n[i * i for i in range(n)]"],
    ]]

    /// A fresh home, no runtime: the first notebook steps (two at once) trigger one build that both
    /// wait for, its log lines and progress are events of their run, and both succeed; status
    /// before/after and the health report show the runtime.
    @Test func notebookStepOnAFreshHomeBuildsTheRuntime() throws {
        let f = try Fixture(env: ["MCPK_PYTHON_RUNTIME": ""])
        defer { try? FileManager.default.removeItem(atPath: f.kernel.home + "/runtimes/python") }
        let before = try f.kernel.call("runtime.status")
        let pyBefore = Self.runtime(before, "python")
        #expect(pyBefore?["state"] == "missing", "\(before)")
        #expect(pyBefore?["present"] == false)
        #expect(pyBefore?["path"]?.stringValue == f.kernel.home + "/runtimes/python")
        #expect(pyBefore?["pins"]?["sha256"]?.stringValue?.count == 64)
        #expect(pyBefore?["pins"]?["installed_sha256"] == .null)
        #expect(before["auto_install"] == true)

        try f.component("nb", Self.notebook)
        try f.workflow("nb", ["steps": [["id": "a", "component": "nb", "inputs": ["n": 3]],
                                        ["id": "b", "component": "nb", "inputs": ["n": 4]]]])
        let id = try f.run("nb")
        let s = try f.wait(id, timeout: Self.buildTimeoutSeconds)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(EngineLiveTests.step(s, "a")?["result"] == "[0, 1, 4]")
        #expect(EngineLiveTests.step(s, "b")?["result"] == "[0, 1, 4, 9]")

        let events = try f.events(id)
        let kernelLines = events.filter { $0["type"] == "log" && $0["payload"]?["stream"] == "kernel" }
            .compactMap { $0["payload"]?["line"]?.stringValue }
        #expect(kernelLines.contains { $0.contains("the python step runtime is missing") }, "\(kernelLines)")
        #expect(kernelLines.contains { $0.contains("installing the python step runtime into") })
        #expect(kernelLines.contains { $0.contains("python step runtime ready") })
        // One build: its start is announced once, the other step joins it.
        #expect(kernelLines.filter { $0.contains("installing the python step runtime into") }.count <= 2)
        // The first step to find the runtime missing starts the build; the other finds it running and waits.
        #expect(kernelLines.filter { $0.contains("the python step runtime is missing") }.count == 1, "\(kernelLines)")
        #expect(kernelLines.filter { $0.contains("waiting for the python step runtime build already running") }.count == 1, "\(kernelLines)")
        let progress = events.filter { $0["type"] == "progress" && ($0["payload"]?["message"]?.stringValue ?? "").hasPrefix("python runtime") }
        #expect(progress.count >= 3, "\(progress.count) runtime progress events")
        #expect(progress.contains { $0["payload"]?["fraction"]?.doubleValue == 1 })
        #expect(events.contains { $0["type"] == "log" && ($0["payload"]?["stream"]?.stringValue ?? "").hasPrefix("pip-") })
        #expect(!events.contains { ($0["payload"]?["line"]?.stringValue ?? "").contains("Traceback") })

        let after = try f.kernel.call("runtime.status")
        let py = Self.runtime(after, "python")
        #expect(py?["state"] == "ready", "\(after)")
        #expect(py?["present"] == true)
        #expect(py?["stale"] == false)
        #expect(py?["pins"]?["installed_sha256"] == py?["pins"]?["sha256"])
        #expect((py?["size_bytes"]?.intValue ?? 0) > 50 << 20)
        #expect(py?["versions"]?["nbclient"]?.stringValue == Self.pinnedVersion("nbclient"))
        #expect(py?["versions"]?["python"]?.stringValue?.hasPrefix("3.") == true)

        let health = try f.kernel.call("dashboard.health")
        let names = (health["runtimes"]?["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(names == ["python", "node"], "\(health)")
        let hp = Self.runtime(health["runtimes"] ?? .null, "python")
        #expect(hp?["present"] == true && hp?["path"] == py?["path"] && hp?["size_bytes"] != nil && hp?["versions"]?["streamlit"] != nil)
        let node = Self.runtime(health["runtimes"] ?? .null, "node")
        #expect(node?["present"] == true && node?["versions"]?["node"] != nil && node?["versions"]?["esbuild"] != nil, "\(String(describing: node))")

        // The CLI: the table, then an install that finds the runtime up to date.
        let (rc, out, err) = try f.kernel.cli(["runtime", "status"])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("python") && out.contains("ready") && out.contains("MiB"), "\(out)")
        let (rc2, out2, err2) = try f.kernel.cli(["runtime", "install", "python"])
        #expect(rc2 == 0, "\(err2)")
        #expect(out2.contains("python runtime up to date") && out2.contains("100%"), "\(out2)")
        #expect(try f.kernel.call("kernel.status")["runtimes"]?["items"]?[0]?["state"] == "ready")
    }

    /// A step waiting for the runtime build is cancelled at once; the build goes on (for the
    /// steps that will need it) and is not restarted by the cancel.
    @Test func cancellingAStepThatWaitsForTheBuild() throws {
        let f = try Fixture(env: ["MCPK_PYTHON_RUNTIME": ""])
        defer { try? FileManager.default.removeItem(atPath: f.kernel.home + "/runtimes/python") }
        try f.component("nb", Self.notebook)
        try f.workflow("nb", ["steps": [["id": "n", "component": "nb"]]])
        let id = try f.run("nb")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !(try f.events(id)).contains(where: {
            ($0["payload"]?["line"]?.stringValue ?? "").contains("installing the python step runtime into")
        }) { usleep(100_000) }
        _ = try f.kernel.call("run.cancel", ["id": .string(id)])
        let s = try f.wait(id, timeout: 60)
        #expect(s["status"] == "cancelled", "\(s)")
        #expect(Self.runtime(try f.kernel.call("runtime.status"), "python")?["state"] == "installing")
    }

    /// With automatic installs off, a notebook step on a home without a runtime fails with a
    /// message naming `mcpk runtime install` (no Python traceback); an unknown setting value and
    /// an unknown runtime name are refused.
    @Test(arguments: LiveBackend.enabled) func autoInstallOffFailsNamingTheCommand(_ backend: LiveBackend) throws {
        let f = try Fixture(env: ["MCPK_PYTHON_RUNTIME": "", "MCPK_RUNTIME_AUTO_INSTALL": "0"].merging(try backend.environment()) { $1 })
        let status = try f.kernel.call("runtime.status")
        #expect(status["auto_install"] == false)
        #expect(Self.runtime(status, "python")?["state"] == "missing")
        try f.component("nb", Self.notebook)
        try f.workflow("nb", ["steps": [["id": "n", "component": "nb"]]])
        let id = try f.run("nb")
        let s = try f.wait(id, timeout: 60)
        #expect(s["status"] == "failed")
        let error = EngineLiveTests.step(s, "n")?["error"]?.stringValue ?? ""
        #expect(error.contains("mcpk runtime install python") && error.contains("MCPK_RUNTIME_AUTO_INSTALL=0"), "\(error)")
        let events = try f.events(id)
        #expect(!events.contains { $0.serialized().contains("Traceback") || $0.serialized().contains("ModuleNotFoundError") })
        #expect(!FileManager.default.fileExists(atPath: f.kernel.home + "/runtimes/python"))

        #expect(throws: ControlClient.ClientError.self) { try f.kernel.call("runtime.install", ["name": "ruby"]) }
        do {
            _ = try f.kernel.call("runtime.install", ["name": "ruby"])
        } catch ControlClient.ClientError.rpc(_, _, let kind, let errors) {
            #expect(kind == "invalid_params")
            #expect(errors.first?.path == "name" && errors.first?.message.contains("python, node") == true, "\(errors)")
        }
        let bad = try KernelProcess.run(KernelProcess.binary, ["serve"],
                                        env: ["MCPK_HOME": KernelProcess.makeHome(), "MCPK_HTTP": "off", "MCPK_RUNTIME_AUTO_INSTALL": "maybe"])
        #expect(bad.0 != 0)
        #expect((bad.1 + bad.2).contains("MCPK_RUNTIME_AUTO_INSTALL must be"), "\(bad)")
    }

    /// `runtime install node` checks Debian's node and esbuild and records their versions;
    /// `runtime gc` (which reads every component version from the store, so on both stores) removes a requirements venv once no component version references it (and an
    /// unfinished build), keeps it while one does, and `--dry-run` removes nothing.
    @Test(arguments: LiveBackend.enabled) func nodeInstallAndGarbageCollection(_ backend: LiveBackend) throws {
        let f = try Fixture(env: try backend.environment())
        let (rc, out, err) = try f.kernel.cli(["runtime", "install", "node"])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("node runtime ready") && out.contains("100%"), "\(out)")
        let manifest = (try? String(contentsOfFile: f.kernel.home + "/runtimes/node.json", encoding: .utf8)) ?? ""
        #expect(manifest.contains("\"node\":\"v") && manifest.contains("\"esbuild\""), "\(manifest)")

        try f.component("toml", ["type": "Python Script", "requirements": ["tomli_w==1.0.0"], "codeContent": """
        import tomli_w
        def main():
            return tomli_w.dumps({"a": 1}).strip()
        """])
        try f.workflow("toml", ["steps": [["id": "s", "component": "toml"]]])
        let s = try f.wait(try f.run("toml"), timeout: 300)
        #expect(s["status"] == "succeeded", "\(s)")
        let venvs = f.kernel.home + "/runtimes/venvs"
        let built = try FileManager.default.contentsOfDirectory(atPath: venvs)
        #expect(built.count == 1, "\(built)")
        try FileManager.default.createDirectory(atPath: venvs + "/unfinished", withIntermediateDirectories: true)

        let dry = try f.kernel.call("runtime.gc", ["dry_run": true])
        #expect(dry["dry_run"] == true)
        #expect((dry["removed"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue } == [venvs + "/unfinished"], "\(dry)")
        #expect(dry["kept"] == [.string(venvs + "/" + built[0])])
        #expect(FileManager.default.fileExists(atPath: venvs + "/unfinished"))

        _ = try f.kernel.call("workflow.delete", ["id": f.name("toml")])
        _ = try f.kernel.call("component.delete", ["id": f.name("toml")])
        let (rc2, out2, err2) = try f.kernel.cli(["runtime", "gc"])
        #expect(rc2 == 0, "\(err2)")
        #expect(out2.contains("removed \(venvs)/\(built[0])") && out2.contains("no component version references these requirements"), "\(out2)")
        #expect(out2.contains("2 removed"), "\(out2)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: venvs).isEmpty)
        let audit = try f.kernel.call("audit.list", ["entity_type": "runtime"])
        #expect(audit.serialized().contains("runtime.gc") && audit.serialized().contains("runtime.install"), "\(audit)")
    }
}
