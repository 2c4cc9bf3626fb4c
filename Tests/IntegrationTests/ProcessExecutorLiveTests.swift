import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// The process executor plugins (TypeScript, notebook, MCP, Streamlit) through a real
/// `mcpk serve`: component → workflow → run, as the console drives them.
@Suite(.serialized) struct ProcessExecutorLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    /// The runtime venv (`make test` creates it and exports MCPK_PYTHON_RUNTIME).
    static var hasRuntime: Bool {
        if let p = ProcessInfo.processInfo.environment["MCPK_PYTHON_RUNTIME"], access(p + "/bin/python", X_OK) == 0 { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        print("SKIP: MCPK_PYTHON_RUNTIME not set to a runtime venv (scripts/python-runtime.sh; make test does it)")
        return false
    }

    static func step(_ s: JSON, _ id: String) -> JSON? { s["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id } }

    @Test func typeScriptStep() throws {
        let f = try Fixture()
        try f.component("ts-sum", ["type": "TypeScript Script", "codeContent": """
        export async function main(inputs: { xs: number[] }): Promise<{ total: number }> {
          console.log('summing', inputs.xs.length);
          return { total: inputs.xs.reduce((a, b) => a + b, 0) };
        }
        """])
        try f.workflow("ts", ["steps": [["id": "t", "component": "ts-sum", "inputs": ["xs": [1, 2, 3, 4]]]]])
        let id = try f.run("ts")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(Self.step(s, "t")?["result"] == ["total": 10])
        #expect(try f.stdout(id).contains("summing 4"))
    }

    /// `requirements` are installed from PyPI into a venv cached by their hash;
    /// the step itself still has no network.
    @Test(.enabled(if: ProcessExecutorLiveTests.hasRuntime)) func pythonStepWithRequirements() throws {
        let f = try Fixture()
        // tomli_w is not in the runtime venv: only the requirements venv has it.
        try f.component("toml-writer", ["type": "Python Script", "requirements": ["tomli_w==1.0.0"], "codeContent": """
        import socket
        import tomli_w
        def main():
            try:
                socket.create_connection(("127.0.0.1", 9), timeout=1)
                net = "open"
            except OSError:
                net = "closed"
            return {"toml": tomli_w.dumps({"a": 1}).strip(), "network": net}
        """])
        try f.workflow("toml", ["steps": [["id": "s", "component": "toml-writer"]]])
        let first = try f.wait(try f.run("toml"), timeout: 300)
        #expect(first["status"] == "succeeded", "\(first)")
        #expect(Self.step(first, "s")?["result"] == ["toml": "a = 1", "network": "closed"])
        // The second run reuses the cached venv.
        let second = try f.wait(try f.run("toml"), timeout: 120)
        #expect(Self.step(second, "s")?["result"]?["toml"] == "a = 1")
    }

    @Test(.enabled(if: ProcessExecutorLiveTests.hasRuntime)) func notebookStep() throws {
        let f = try Fixture()
        try f.component("nb", ["type": "Jupyter Notebook", "notebookCells": [
            ["id": "c1", "type": "markdown", "content": "# squares"],
            ["id": "c2", "type": "code", "content": "n = 2", "tags": ["parameters"]],
            ["id": "c3", "type": "code", "content": "print('squares')\n[i * i for i in range(n)]"],
        ]])
        try f.workflow("nb", ["steps": [["id": "n", "component": "nb", "inputs": ["n": 4]]]])
        let id = try f.run("nb")
        let s = try f.wait(id, timeout: 120)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(Self.step(s, "n")?["result"] == "[0, 1, 4, 9]")
        let progress = try f.events(id).filter { $0["type"] == "progress" }
        #expect(progress.count >= 2)
        let artifacts = try f.kernel.call("run.artifacts", ["id": .string(id)])
        #expect(artifacts.serialized().contains("notebook"), "\(artifacts)")
    }

    @Test(.enabled(if: ProcessExecutorLiveTests.hasRuntime)) func mcpStep() throws {
        let f = try Fixture()
        let server = """
        try:
            from mcp.server.mcpserver import MCPServer as App
        except ImportError:
            from mcp.server.fastmcp import FastMCP as App
        app = App("echo")
        @app.tool()
        def shout(text: str) -> str:
            \"\"\"Upper-cases text.\"\"\"
            return text.upper()
        app.run()
        """
        let conf: JSON = ["command": "python3", "args": ["-c", .string(server)]]
        try f.component("mcp-echo", ["type": "MCP", "tool": "shout", "mcpConfiguration": .string(conf.serialized())])
        try f.workflow("mcp", ["steps": [["id": "m", "component": "mcp-echo", "inputs": ["text": "hello"]]]])
        let s = try f.wait(try f.run("mcp"), timeout: 120)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(Self.step(s, "m")?["result"]?["content"]?[0]?["text"] == "HELLO")
    }

    @Test(.enabled(if: ProcessExecutorLiveTests.hasRuntime)) func streamlitServiceStep() throws {
        let f = try Fixture()
        try f.component("app", ["type": "Streamlit App", "codeContent": "import streamlit as st\nst.write('hi')\n"])
        try f.workflow("app", ["steps": [["id": "app", "component": "app"]]])
        let id = try f.run("app")
        var url: String?
        let deadline = Date().addingTimeInterval(120)
        while url == nil, Date() < deadline {
            url = try f.events(id).compactMap { $0["type"] == "result_preview" ? $0["payload"]?["value"]?["url"]?.stringValue ?? $0["payload"]?["url"]?.stringValue : nil }.first
            if url == nil { usleep(200_000) }
        }
        let recent = (try? f.events(id).suffix(10)) ?? []
        let u = try #require(url, "no url reported: \(recent)")
        // Served for real, from the sandbox, on the host's loopback.
        let (rc, body, _) = try KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "5", u + "_stcore/health"])
        #expect(rc == 0)
        #expect(body == "ok")
        _ = try f.kernel.call("run.cancel", ["id": .string(id)])
        let s = try f.wait(id, timeout: 60)
        #expect(s["status"] == "cancelled")
    }
}
