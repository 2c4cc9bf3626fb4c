import Glibc
import KernelCore
import KernelLoop
import KernelEngine
import KernelPlugins
import Testing
@testable import KernelSandbox

/// Each process executor plugin, loaded from its .so and run end to end:
/// plan (C plugin) → sandbox → outcome.
@Suite(.serialized) @KernelActor struct ExecutorPluginTests {
    func run(_ product: String, type: String, config: JSON, inputs: JSON = [:], f: SandboxFixture,
             stepId: String = "step", cancelOn: ((StepEvent) -> Bool)? = nil,
             onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil,
             isolation: PluginIsolation = .inProcess) async throws -> (ProcessStep.Completion, [StepEvent]) {
        // Loaded through the PluginHost (the only dlopen of plugins), leased like the engine does;
        // under `process` isolation plan/finish cross the `mcpk plugin-host` pipe.
        let dir = SandboxConfiguration.env("MCPK_PLUGIN_BUILD_DIR") ?? (SandboxFixture.repoRoot + "/.build/debug")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [], childCommand: [dir + "/mcpk", "plugin-host"]))
        _ = try await host.load(path: dir + "/lib\(product).so", isolation: isolation)
        #expect(host.info(name: String(product.dropFirst(5)))?.isolation == isolation)
        let lease = try #require(host.executor(forType: type))
        #expect(host.executorRoutes() == [type: lease.plugin])
        defer {
            lease.release()
            Task { @KernelActor in await host.shutdown() }
        }
        let runtime = ProcessStepRuntime(sandbox: f.sandbox)
        var events: [StepEvent] = []
        var step: ProcessStep?
        step = runtime.start(executor: ExecutorPlanner(lease: lease), componentType: type, config: config, inputs: inputs,
                             runId: "run-\(Int.random(in: 0..<1_000_000))", stepId: stepId, attempt: 1,
                             onEvent: { e in
                                 events.append(e)
                                 if cancelOn?(e) == true { step?.cancel() }
                             }, onQuery: onQuery)
        let c = await step!.completed()
        return (c, events)
    }

    @Test func pythonScript() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let (c, events) = try await run("mcpk-python", type: "Python Script", config: [
            "codeContent": "import mcpk\ndef main(name):\n    mcpk.progress(0.5, 'working')\n    print('hi', name)\n    return {'greeting': 'hello ' + name}\n",
        ], inputs: ["name": "ada"], f: f)
        #expect(try c.result.get() == ["greeting": "hello ada"])
        #expect(events.contains(.log(stream: "stdout", line: "hi ada")))
        #expect(events.contains(.progress(fraction: 0.5, message: "working")))
    }

    @Test func pythonScriptPlannedInAPluginHostChild() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let (c, events) = try await run("mcpk-python", type: "Python Script", config: [
            "codeContent": "def main(name):\n    print('hi', name)\n    return {'greeting': 'hello ' + name}\n",
        ], inputs: ["name": "ada"], f: f, isolation: .process)
        #expect(try c.result.get() == ["greeting": "hello ada"], "\(c.result) \(String(describing: c.outcome))")
        #expect(events.contains(.log(stream: "stdout", line: "hi ada")))
    }

    @Test func pythonScriptExceptionFailsWithTraceback() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let (c, _) = try await run("mcpk-python", type: "Python Script", config: [
            "codeContent": "def main():\n    return 1 / 0\n",
        ], f: f)
        guard case .failure(let e) = c.result else { Issue.record("expected failure"); return }
        #expect(e.message.contains("Traceback"))
        #expect(e.message.contains("ZeroDivisionError"))
    }

    @Test func pythonPlanRejectsMissingCode() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let (c, _) = try await run("mcpk-python", type: "Python Script", config: ["description": "nothing"], f: f)
        guard case .failure(let e) = c.result else { Issue.record("expected failure"); return }
        #expect(e.kind == .invalidParams)
        #expect(e.message.contains("codeContent"))
    }

    @Test func pythonRequirementsGetACachedVenv() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let config: JSON = ["codeContent": "import six\ndef main():\n    return six.__version__\n", "requirements": "six==1.16.0"]
        let (c, _) = try await run("mcpk-python", type: "Python Script", config: config, f: f)
        #expect(try c.result.get() == "1.16.0")
        let envs = PythonEnvironments(sandbox: f.sandbox)
        #expect(access(envs.directory(for: ["six==1.16.0"]) + "/.mcpk-ready", F_OK) == 0)
        // Second run reuses it (no pip output).
        let (c2, events2) = try await run("mcpk-python", type: "Python Script", config: config, f: f)
        #expect(try c2.result.get() == "1.16.0")
        #expect(!events2.contains { if case .log(let s, _) = $0 { return s.hasPrefix("pip-") }; return false })
    }

    @Test func typeScriptScript() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let code = """
        const mcpk = require('mcpk.js');
        interface Inputs { xs: number[] }
        export async function main(inputs: Inputs): Promise<{ total: number }> {
          mcpk.progress(0.5, 'summing');
          console.log('n =', inputs.xs.length);
          await new Promise((r) => setTimeout(r, 10));
          return { total: inputs.xs.reduce((a, b) => a + b, 0) };
        }
        """
        let (c, events) = try await run("mcpk-typescript", type: "TypeScript Script", config: ["codeContent": .string(code)],
                                        inputs: ["xs": [1, 2, 3]], f: f)
        #expect(try c.result.get() == ["total": 6], "\(events)")
        #expect(events.contains(.log(stream: "stdout", line: "n = 3")))
        #expect(events.contains(.progress(fraction: 0.5, message: "summing")))
        let cache = TypeScriptCache(sandbox: f.sandbox).cachePath(for: code)
        #expect(access(cache, F_OK) == 0)
        let (bad, _) = try await run("mcpk-typescript", type: "TypeScript Script",
                                     config: ["codeContent": "export function main( { return 1 }"], f: f)
        guard case .failure(let e) = bad.result else { Issue.record("expected compile failure"); return }
        #expect(e.message.contains("compile failed"))
        let (thrown, _) = try await run("mcpk-typescript", type: "TypeScript Script",
                                        config: ["codeContent": "export function main() { throw new Error('nope 7') }"], f: f)
        guard case .failure(let e2) = thrown.result else { Issue.record("expected failure"); return }
        #expect(e2.message.contains("nope 7"))
    }

    @Test(.enabled(if: SandboxFixture.hasPythonRuntime)) func jupyterNotebook() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let cells: JSON = [
            ["cell_type": "markdown", "source": "# demo"],
            ["cell_type": "code", "source": "factor = 1", "tags": ["parameters"]],
            ["cell_type": "code", "source": "import os\nvalues = [i * factor for i in range(4)]\nprint('pid', os.getpid())"],
            ["cell_type": "code", "source": "sum(values)"],
        ]
        let (c, events) = try await run("mcpk-notebook", type: "Jupyter Notebook", config: ["notebookCells": cells],
                                        inputs: ["factor": 10], f: f)
        guard case .success(let value) = c.result else { Issue.record("\(c.result) \(events)"); return }
        #expect(value == "60")
        // One progress per code cell of the notebook (the injected parameters cell is not counted).
        let progress = events.compactMap { e -> String? in if case .progress(_, let m) = e { return m }; return nil }
        #expect(progress == ["cell 1/3", "cell 2/3", "cell 3/3"], "\(events)")
        // What a cell prints reaches the step's log; the Jupyter kernel is reached over IPC, so no TCP warning.
        let logs = events.compactMap { e -> String? in if case .log(_, let line) = e { return line }; return nil }
        #expect(logs.contains { $0.hasPrefix("pid ") }, "\(logs)")
        #expect(!logs.contains { $0.contains("without encryption") }, "\(logs)")
        let nb = try #require(c.artifacts.first { $0.name == "notebook.ipynb" })
        let doc = try JSONParser.parse(readFile(nb.path) ?? "")
        #expect(doc["nbformat"] == 4)
        // nbformat stores multi-line text as arrays of lines.
        func text(_ v: JSON?) -> String { v?.stringValue ?? (v?.arrayValue ?? []).compactMap(\.stringValue).joined() }
        let sources = (doc["cells"]?.arrayValue ?? []).map { text($0["source"]) }
        #expect(sources.firstIndex { $0.contains("Parameters injected") } == 2)   // right after the parameters cell
        #expect(text(doc["cells"]?[4]?["outputs"]?[0]?["data"]?["text/plain"]) == "60")
        #expect(text(doc["cells"]?[3]?["outputs"]?[0]?["text"]).hasPrefix("pid ") == true)

        // mcpk.result() from inside the notebook wins over the last value; a failing cell keeps the partial notebook.
        let (c2, _) = try await run("mcpk-notebook", type: "Jupyter Notebook", config: ["notebookCells": [
            ["cell_type": "code", "source": "import mcpk\nmcpk.result({'from': 'notebook'})"],
            ["cell_type": "code", "source": "42"],
        ]], f: f)
        #expect(try c2.result.get() == ["from": "notebook"])
        let (c3, _) = try await run("mcpk-notebook", type: "Jupyter Notebook", config: ["notebookCells": [
            ["cell_type": "code", "source": "x = 1"],
            ["cell_type": "code", "source": "raise RuntimeError('cell two broke')"],
            ["cell_type": "code", "source": "never = True"],
        ]], f: f)
        guard case .failure(let e) = c3.result else { Issue.record("expected failure"); return }
        #expect(e.message.contains("cell two broke"))
        let partial = try #require(c3.artifacts.first { $0.name == "notebook.ipynb" })
        let pdoc = try JSONParser.parse(readFile(partial.path) ?? "")
        #expect(pdoc["cells"]?.arrayValue?.count == 2)
    }

    @Test(.enabled(if: SandboxFixture.hasPythonRuntime)) func mcpToolCall() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let server = """
        try:
            from mcp.server.mcpserver import MCPServer as App   # mcp 2.x
        except ImportError:
            from mcp.server.fastmcp import FastMCP as App       # mcp 1.x
        app = App("calc")
        @app.tool()
        def add(a: int, b: int) -> int:
            \"\"\"Adds two numbers.\"\"\"
            return a + b
        @app.tool()
        def explode(reason: str) -> str:
            \"\"\"Always fails.\"\"\"
            raise ValueError("exploded: " + reason)
        app.run()
        """
        // A real MCP server (the `mcp` SDK's FastMCP) started by the step over stdio.
        let config: JSON = ["mcpConfiguration": ["command": "python3", "args": ["-c", .string(server)]], "tool": "add"]
        let (c, events) = try await run("mcpk-mcp", type: "MCP", config: config, inputs: ["a": 2, "b": 40], f: f)
        let r = try c.result.get()
        #expect(r["tool"] == "add", "\(events)")
        #expect(r["content"]?[0]?["text"] == "42")
        #expect(events.contains { if case .log(_, let l) = $0 { return l.contains("initialized MCP server calc") }; return false })
        #expect(events.contains(.resultPreview(["tools": ["add", "explode"]])))

        let (bad, _) = try await run("mcpk-mcp", type: "MCP", config: ["mcpConfiguration": config["mcpConfiguration"] ?? .null, "tool": "explode"],
                                     inputs: ["reason": "on purpose"], f: f)
        guard case .failure(let e) = bad.result else { Issue.record("expected tool failure"); return }
        // mcp 2.x servers mask the exception text; the isError result still fails the step.
        #expect(e.message.contains("tool explode failed"), "\(e.message)")
        let (missing, _) = try await run("mcpk-mcp", type: "MCP", config: ["mcpConfiguration": config["mcpConfiguration"] ?? .null, "tool": "nope"], f: f)
        guard case .failure(let e2) = missing.result else { Issue.record("expected unknown tool failure"); return }
        #expect(e2.message.contains("not offered"))
    }

    @Test(.enabled(if: SandboxFixture.hasPythonRuntime)) func streamlitService() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let code = "import streamlit as st\nst.title('hello from the sandbox')\n"
        var url: String?
        let (c, events) = try await run("mcpk-streamlit", type: "Streamlit App", config: ["codeContent": .string(code), "ttlSeconds": 600],
                                        f: f, cancelOn: { e in
            if case .result(let v) = e, let u = v["url"]?.stringValue {
                url = u
                let port = Int(u.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0
                // Served for real: the health endpoint and the page answer 200.
                #expect(ProcessStep.httpStatus(port: port, path: "/_stcore/health") == 200)
                #expect(ProcessStep.httpStatus(port: port, path: "/") == 200)
                return true
            }
            return false
        })
        #expect(url?.hasPrefix("http://127.0.0.1:") == true, "\(events.suffix(20))")
        #expect(try c.result.get()["url"]?.stringValue == url)
        #expect(c.outcome?.termination == .cancelled)
    }
}
