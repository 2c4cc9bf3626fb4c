import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// The kernel as an MCP server, driven by the official MCP Python SDK client (issue 18) over
/// streamable HTTP (`POST /mcp`) and stdio (`mcpk mcp`), in both protocol eras: list tools (an
/// exposed workflow with its input schema), call one (outputs as text and structured content),
/// progress notifications, invalid arguments reported with paths, and cancellation (stdio).
@Suite(.serialized) struct MCPServerLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static var python: String {
        let venv = ProcessInfo.processInfo.environment["MCPK_PYTHON_RUNTIME"] ?? ""
        return venv.isEmpty ? "/usr/bin/python3" : venv + "/bin/python"
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mcp_client.py").path
    }

    static func setUp(_ f: Fixture) throws -> (tool: String, slow: String) {
        try f.component("greet", ["type": "Utility", "operation": "template", "template": "Hello ${inputs.who}"])
        try f.python("nap", "import time\ndef main(**kw):\n    time.sleep(60)\n    return {}\n")
        let tool = "greet" + f.tag, slow = "nap" + f.tag
        _ = try f.kernel.call("workflow.create", [
            "name": .string(tool), "description": "Greets someone by name.",
            "definition": ["inputs": ["type": "object", "properties": ["who": ["type": "string"]], "required": ["who"]],
                           "steps": [["id": "g", "component": f.name("greet"), "inputs": ["who": "${inputs.who}"]]],
                           "outputs": ["greeting": "${steps.g.result.text}"], "expose": ["mcp"]]])
        _ = try f.kernel.call("workflow.create", [
            "name": .string(slow), "description": "Sleeps a minute.",
            "definition": ["steps": [["id": "n", "component": f.name("nap")]], "expose": ["mcp"]]])
        // Not exposed: no tool.
        _ = try f.kernel.call("workflow.create", ["name": f.name("hidden"), "description": "Not a tool.",
                                                  "definition": ["steps": [["id": "g", "component": f.name("greet"), "inputs": ["who": "x"]]]]])
        return (tool, slow)
    }

    static func drive(_ args: [String], home: String) throws -> JSON {
        let (rc, out, err) = try KernelProcess.run(python, [script] + args, env: ["MCPK_HOME": home])
        guard rc == 0 else { throw KernelError.unavailable("mcp_client.py \(args) failed (\(rc)): \(err)\n\(out)") }
        return try JSONParser.parse(Array(out.utf8))
    }

    static func check(_ r: JSON, tool: String, f: Fixture, progress: Bool) {
        #expect(r["tools"]?[tool]?["description"] == "Greets someone by name.", "\(r)")
        #expect(r["tools"]?[tool]?["inputSchema"]?["required"] == ["who"])
        #expect(r["tools"]?["hidden" + f.tag] == nil)
        #expect(r["call"]?["isError"] == false)
        #expect(r["call"]?["structured"] == ["greeting": "Hello Ann"], "\(r["call"] ?? .null)")
        #expect(r["call"]?["text"]?.stringValue?.contains("Hello Ann") == true)
        #expect(r["bad"]?["isError"] == true)
        #expect(r["bad"]?["text"]?.stringValue?.contains("inputs.who") == true, "\(r["bad"] ?? .null)")
        if progress { #expect((r["progress"]?.arrayValue?.count ?? 0) >= 1, "\(r["progress"] ?? .null)") }
    }

    @Test(arguments: ["auto", "legacy"]) func httpTransportWithProgressAndCancel(mode: String) throws {
        let port = HTTPTestClient.freePort()
        let f = try Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        let (tool, slow) = try Self.setUp(f)
        let r = try Self.drive(["http", "http://127.0.0.1:\(port)/mcp", mode, tool, slow], home: f.kernel.home)
        Self.check(r, tool: tool, f: f, progress: true)
        let runs = try f.kernel.call("run.list", ["workflow": .string(tool)])["items"]?.arrayValue ?? []
        #expect(runs.count == 1 && runs.first?["trigger"]?["kind"] == "mcp", "one run (the invalid call ran nothing): \(runs)")
        // Cancelling the call (the SDK closes the request's stream) cancelled its run.
        let slowRuns = try f.kernel.call("run.list", ["workflow": .string(slow)])["items"]?.arrayValue ?? []
        let id = try #require(slowRuns.first?["id"]?.stringValue)
        #expect(try f.wait(id)["status"] == "cancelled")
    }

    @Test(arguments: ["auto", "legacy"]) func stdioTransportWithProgressAndCancel(mode: String) throws {
        let f = try Fixture()
        let (tool, slow) = try Self.setUp(f)
        let r = try Self.drive(["stdio", KernelProcess.binary, mode, tool, slow], home: f.kernel.home)
        Self.check(r, tool: tool, f: f, progress: true)
        #expect(r["cancelled"] == true)
        // The cancelled call cancelled its run.
        let runs = try f.kernel.call("run.list", ["workflow": .string(slow)])["items"]?.arrayValue ?? []
        let id = try #require(runs.first?["id"]?.stringValue)
        let done = try f.wait(id)
        #expect(done["status"] == "cancelled", "\(done)")
    }

    @Test func originCheckAndVersionNegotiationOverHTTP() throws {
        let port = HTTPTestClient.freePort()
        let f = try Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        defer { withExtendedLifetime(f) {} }  // the kernel lives as long as the fixture
        func post(_ body: String, _ headers: [String]) throws -> (Int, String) {
            var args = ["-s", "-w", "\n%{http_code}", "-X", "POST", "http://127.0.0.1:\(port)/mcp", "-H", "Content-Type: application/json", "--data-binary", body]
            for h in headers { args += ["-H", h] }
            let (_, out, _) = try KernelProcess.run("/usr/bin/curl", args)
            let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        let evil = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, ["Origin: http://evil.example"])
        #expect(evil.0 == 403)
        let old = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}}}"#,
                           ["MCP-Protocol-Version: 1900-01-01"])
        #expect(old.0 == 400 && old.1.contains("-32022") && old.1.contains("2026-07-28") && old.1.contains("2025-11-25"), "\(old)")
        let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#
        let mismatch = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"# + meta + "}}",
                                ["MCP-Protocol-Version: 2025-11-25", "Mcp-Method: tools/list"])
        #expect(mismatch.0 == 400 && mismatch.1.contains("-32020"))
        let noMethod = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"# + meta + "}}", ["MCP-Protocol-Version: 2026-07-28"])
        #expect(noMethod.0 == 400 && noMethod.1.contains("Mcp-Method"), "\(noMethod)")
        let wrongName = try post(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{},"# + meta + "}}",
                                 ["MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: =?base64?Yg==?="])
        #expect(wrongName.0 == 400 && wrongName.1.contains("Mcp-Name 'b'"), "\(wrongName)")
        let unknown = try post(#"{"jsonrpc":"2.0","id":1,"method":"nope/nope","params":{"# + meta + "}}",
                               ["MCP-Protocol-Version: 2026-07-28", "Mcp-Method: nope/nope"])
        #expect(unknown.0 == 404 && unknown.1.contains("-32601"), "\(unknown)")
        let initialize = try post(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2026-07-28","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
                                  ["Origin: http://127.0.0.1:\(port)"])
        #expect(initialize.0 == 200 && initialize.1.contains(#""protocolVersion":"2025-11-25""#), "\(initialize)")
    }
}
