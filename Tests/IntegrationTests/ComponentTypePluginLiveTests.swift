import Foundation
import Glibc
import HTTPTestSupport
import KernelCore
import Testing

/// Issue 13, "component types come from plugins": a third-party executor plugin outside
/// Plugins/ (Tests/Fixtures/shell-executor/shell_executor.c), built by the test with the
/// documented cc line of docs/PLUGINS.md, declares a new type `Shell Script` (ABI 1.2.0
/// `type_defs`: schema, execution in the sandbox). Loading it into a running kernel makes the
/// type creatable over HTTP (configs validated against its schema, all errors at once) and
/// runnable between a Python step and an Output step; unloading it leaves the component
/// readable but not runnable.
@Suite(.serialized) struct ComponentTypePluginLiveTests {
    static let source = PluginLiveTests.root + "/Tests/Fixtures/shell-executor/shell_executor.c"

    /// The build line of docs/PLUGINS.md "Write an executor for a new component type".
    static func documentedBuildLine() throws -> String {
        let text = try String(contentsOfFile: PluginLiveTests.root + "/docs/PLUGINS.md", encoding: .utf8)
        guard let b = text.range(of: "<!-- new-type-build:begin -->"), let e = text.range(of: "<!-- new-type-build:end -->"),
              let open = text.range(of: "```sh\n", range: b.upperBound..<e.lowerBound),
              let close = text.range(of: "\n```", range: open.upperBound..<e.lowerBound) else {
            throw KernelError.internal("no new-type build line in docs/PLUGINS.md")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func buildFixture(into dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: dir + "/shell_executor.c")
        let line = try documentedBuildLine()
        #expect(line.hasPrefix("cc -shared -fPIC -Iinclude "), "\(line)")
        // The documented line runs from the repository root (for -Iinclude), on the copied source.
        let command = line.replacingOccurrences(of: "shell_executor.c", with: "'\(dir)/shell_executor.c'")
            .replacingOccurrences(of: "-o libshell.so", with: "-o '\(dir)/libshell.so'")
        let (rc, _, err) = try KernelProcess.run("/bin/sh", ["-c", "cd '\(PluginLiveTests.root)' && \(command)"])
        #expect(rc == 0, "\(command): \(err)")
        return dir + "/libshell.so"
    }

    @Test(.enabled(if: ProcessExecutorLiveTests.hasRuntime)) func shellScriptTypeFromAThirdPartyPlugin() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        let lib = try Self.buildFixture(into: k.home + "/extra-plugins")
        let shellConfig = #"{"type":"Shell Script","script":"echo \"doubled=$INPUT_N\""}"#

        // Not loaded yet: the type is unknown.
        let early = try HTTPRoutesTests.curl(port, "POST", "/api/v1/components", #"{"name":"sh-early\#(tag)","config":\#(shellConfig)}"#)
        #expect(early.status == 422 && early.body.contains("unknown component type 'Shell Script'"), "\(early.body)")

        let loaded = try k.call("plugin.load", ["path": .string(lib)])
        #expect(loaded["name"] == "shell" && loaded["abi"] == "1.2.0", "\(loaded)")
        let types = try k.call("component.types")["items"]?.arrayValue ?? []
        let shell = types.first { $0["name"] == "Shell Script" }
        #expect(shell?["plugin"] == "shell" && shell?["execution"] == "sandbox" && shell?["runnable"] == true
                && shell?["declared"] == true, "\(types)")
        #expect(types.contains { $0["name"] == "Python Script" && $0["runnable"] == true })

        // Its schema, as the console and the CLI get it.
        let schema = try HTTPRoutesTests.curl(port, "GET", "/api/v1/component-types?type=Shell%20Script").json
        #expect(schema["properties"]?["type"]?["const"] == "Shell Script", "\(schema)")
        #expect(schema["properties"]?["script"]?["x-mcpk-code-language"] == "shell")
        #expect(schema["x-mcpk-plugin"] == "shell")
        let all = try k.call("component.schema")
        #expect(all["types"]?["Shell Script"]?["title"] == "Shell Script")
        // OpenAPI's ComponentConfig includes the new type.
        let openAPI = try HTTPRoutesTests.curl(port, "GET", "/api/v1/openapi.json").json
        let config = openAPI["components"]?["schemas"]?["ComponentConfig"]
        #expect(config?["oneOf"]?.arrayValue?.contains { $0["title"] == "Shell Script" } == true, "\(config ?? .null)")

        // Validated against the plugin's schema: every error at once, with paths.
        let bad = try HTTPRoutesTests.curl(port, "POST", "/api/v1/components",
                                           #"{"name":"sh-bad\#(tag)","config":{"type":"Shell Script","timeoutSeconds":"soon","outputFormat":"xml","shell":"bash"}}"#)
        #expect(bad.status == 422, "\(bad.body)")
        let paths = Set((bad.json["error"]?["errors"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
        #expect(paths == ["config.script", "config.timeoutSeconds", "config.outputFormat", "config.shell"], "\(bad.body)")

        // Created over HTTP: defaults from the schema applied.
        let created = try HTTPRoutesTests.curl(port, "POST", "/api/v1/components", #"{"name":"sh\#(tag)","config":\#(shellConfig)}"#)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.json["type"] == "Shell Script")
        #expect(created.json["config"] == ["type": "Shell Script", "script": "echo \"doubled=$INPUT_N\"", "outputFormat": "text",
                                          "timeoutSeconds": 60], "\(created.body)")

        _ = try k.call("component.create", ["name": .string("py" + tag), "config": [
            "type": "Python Script", "codeContent": "def main(n):\n    return {\"n\": n * 2}\n"]])
        _ = try k.call("component.create", ["name": .string("out" + tag), "config": ["type": "Output", "format": "text", "name": "doubled"]])
        _ = try k.call("workflow.create", ["name": .string("shell-flow" + tag), "definition": [
            "inputs": ["type": "object", "properties": ["n": ["type": "integer"]], "required": ["n"]],
            "steps": [
                ["id": "py", "component": .string("py" + tag), "inputs": ["n": "${inputs.n}"]],
                ["id": "sh", "component": .string("sh" + tag), "needs": ["py"], "inputs": ["n": "${steps.py.result.n}"]],
                ["id": "out", "component": .string("out" + tag), "needs": ["sh"], "inputs": ["data": "${steps.sh.result.stdout}"]],
            ]]])
        let runID = try k.call("workflow.run", ["id": .string("shell-flow" + tag), "inputs": ["n": 21]])["run_id"]?.stringValue ?? ""
        let s = try EngineLiveTests.Fixture.wait(k, runID)
        #expect(s["status"] == "succeeded", "\(s)")
        let step = { (id: String) in s["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id } }
        #expect(step("py")?["result"] == ["n": 42], "\(s)")
        #expect(step("sh")?["result"] == ["stdout": "doubled=42"], "\(s)")
        let artifact = try k.call("run.artifact", ["id": .string(runID), "name": "doubled.txt"])
        #expect(artifact["content"]?.stringValue?.contains("doubled=42") == true, "\(artifact)")

        // A failing script fails its step with the script's stderr.
        _ = try k.call("component.create", ["name": .string("sh-fail" + tag), "config": [
            "type": "Shell Script", "script": "echo broken >&2; exit 3"]])
        _ = try k.call("workflow.create", ["name": .string("shell-fail" + tag), "definition": [
            "steps": [["id": "sh", "component": .string("sh-fail" + tag)]]]])
        let failID = try k.call("workflow.run", ["id": .string("shell-fail" + tag)])["run_id"]?.stringValue ?? ""
        let failed = try EngineLiveTests.Fixture.wait(k, failID)
        #expect(failed["status"] == "failed", "\(failed)")
        let error = failed["steps"]?.arrayValue?.first?["error"]?.stringValue ?? ""
        #expect(error.contains("exited with 3") && error.contains("broken"), "\(failed)")

        // Unloaded: the component stays readable, runs are refused with a clear error, no new ones.
        _ = try k.call("plugin.unload", ["name": "shell"])
        let got = try HTTPRoutesTests.curl(port, "GET", "/api/v1/components/sh\(tag)")
        #expect(got.status == 200 && got.json["type"] == "Shell Script", "\(got.body)")
        do {
            _ = try k.call("workflow.run", ["id": .string("shell-flow" + tag), "inputs": ["n": 1]])
            Issue.record("a run of an unloaded type was accepted")
        } catch {
            #expect("\(error)".contains("no executor for component type 'Shell Script'"), "\(error)")
        }
        let late = try HTTPRoutesTests.curl(port, "POST", "/api/v1/components", #"{"name":"sh-late\#(tag)","config":\#(shellConfig)}"#)
        #expect(late.status == 422 && late.body.contains("unknown component type 'Shell Script'"), "\(late.body)")
    }
}

extension ComponentTypePluginLiveTests {
    /// docs/PLUGINS.md shows the fixture whole: the documented example is the tested one.
    @Test func documentedNewTypeExecutorIsTheFixture() throws {
        let text = try String(contentsOfFile: PluginLiveTests.root + "/docs/PLUGINS.md", encoding: .utf8)
        guard let b = text.range(of: "<!-- new-type-executor:begin -->"), let e = text.range(of: "<!-- new-type-executor:end -->"),
              let open = text.range(of: "```c\n", range: b.upperBound..<e.lowerBound),
              let close = text.range(of: "```", range: open.upperBound..<e.lowerBound) else {
            Issue.record("no new-type executor in docs/PLUGINS.md")
            return
        }
        let fixture = try String(contentsOfFile: Self.source, encoding: .utf8)
        #expect(String(text[open.upperBound..<close.lowerBound]) == fixture)
    }
}
