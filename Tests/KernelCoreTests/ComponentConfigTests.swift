import PluginTestSupport
import Testing
@testable import KernelCore

/// The component types the bundled executor plugins declare (loaded from the built libraries).
let bundledTypes = BundledComponentTypes.types

/// Errors of validating against the declared types, as "path: message" strings.
func configErrors(_ config: JSON) -> [String] {
    bundledTypes.validate(config).errors.map(\.description)
}

/// The stored (normalised) form of a valid config; throws `invalid_params` with every error.
func normalizedConfig(_ config: JSON) throws -> JSON { try bundledTypes.normalize(config).config }

func parseJSON(_ text: String) -> JSON {
    (try? JSONParser.parse(text)) ?? .null
}

@Suite struct ComponentConfigTests {
    @Test func llmDefaultsAndNormalisation() throws {
        let c = try normalizedConfig(["type": "LLM Prompt Agent", "model": "gpt-4o-mini", "systemPrompt": "be brief"])
        #expect(c["topP"] == nil)
        #expect(c.serialized()
                == #"{"type":"LLM Prompt Agent","model":"gpt-4o-mini","systemPrompt":"be brief","temperature":0.7,"maxTokens":1024}"#)
        #expect(c.contentChecksum == SHA256.hex(c.canonical()))
    }

    @Test func streamlitTTLSecondsIsAPositiveInteger() throws {
        let c = try normalizedConfig(["type": "Streamlit App", "codeContent": "import streamlit", "ttlSeconds": 90])
        #expect(c["ttlSeconds"] == .int(90))
        let zero = configErrors(["type": "Streamlit App", "codeContent": "x", "ttlSeconds": 0])
        #expect(zero.count == 1 && zero.first?.hasPrefix("config.ttlSeconds") == true)
        let text = configErrors(["type": "Streamlit App", "codeContent": "x", "ttlSeconds": "soon"])
        #expect(text.count == 1 && text.first?.hasPrefix("config.ttlSeconds") == true)
    }

    @Test func numbersNormaliseSoChecksumsAgree() throws {
        let a = try normalizedConfig(["type": "LLM Prompt Agent", "model": "m", "temperature": 1, "maxTokens": 2.0])
        let b = try normalizedConfig(["maxTokens": 2, "temperature": 1.0, "model": "m", "type": "LLM Prompt Agent"])
        #expect(a == b)
        #expect(a.contentChecksum == b.contentChecksum)
        #expect(a["temperature"] == .double(1))
        #expect(a["maxTokens"] == .int(2))
    }

    @Test func llmReportsEveryErrorWithPaths() {
        let errors = configErrors([
            "type": "LLM Prompt Agent", "temperature": 3, "maxTokens": 0, "topP": 1.5, "topK": -1,
            "endpoint": "ftp://x", "systemPrompt": 5, "colour": "red",
        ])
        // Every error at once (required fields first, then each field in schema order, then unknown ones).
        #expect(errors == [
            "config.model: is required",
            "config.systemPrompt: must be a string",
            "config.temperature: must be between 0 and 2",
            "config.maxTokens: must be greater than 0",
            "config.topP: must be between 0 and 1",
            "config.topK: must be greater than 0",
            "config.endpoint: must be an http(s) URL",
            "config.colour: unknown field",
        ])
    }

    @Test func unknownAndMissingType() {
        #expect(configErrors(["type": "Spreadsheet"]) == [
            "config.type: unknown component type 'Spreadsheet'; valid types: Data, Jupyter Notebook, LLM Prompt Agent, MCP, Output, Python Script, Streamlit App, TypeScript Script, Utility",
        ])
        #expect(configErrors(["model": "x"]).first?.hasPrefix("config.type: is required; valid types: Data, Jupyter Notebook") == true)
        #expect(configErrors(["type": 3]) == ["config.type: must be a string"])
        #expect(configErrors("text") == ["config: must be an object"])
    }

    @Test func throwsInvalidParamsWithAllErrors() {
        #expect {
            try normalizedConfig(["type": "Data", "maxRows": 0])
        } throws: { error in
            guard let e = error as? KernelError else { return false }
            return e.kind == .invalidParams && e.message == "invalid component config"
                && e.errors.map(\.description) == ["config.connection: is required", "config.query: is required",
                                                   "config.maxRows: must be greater than 0 and at most 1000000"]
        }
    }

    @Test func notebook() throws {
        #expect(configErrors(["type": "Jupyter Notebook"]) == ["config: requires one of: notebookCells, notebookPathRef"])
        #expect(configErrors(parseJSON(#"{"type":"Jupyter Notebook","notebookCells":[{"id":"c1","type":"code","content":"x=1"},{"id":"","type":"sql","tags":[1]}]}"#)) == [
            "config.notebookCells[1].content: is required",
            "config.notebookCells[1].id: must not be empty",
            "config.notebookCells[1].type: must be one of: code, markdown",
            "config.notebookCells[1].tags[0]: must be a string",
        ])
        let c = try normalizedConfig(parseJSON(#"{"type":"Jupyter Notebook","notebookCells":[{"id":"p","type":"code","content":"n = 1","tags":["parameters"]}]}"#))
        #expect(c["kernel"] == "python3")
        #expect(c["notebookCells"] == [["id": "p", "type": "code", "content": "n = 1", "tags": ["parameters"]]])
        #expect(c["parameters"] == .object(JSONObject()))
    }

    @Test(arguments: ["Python Script", "TypeScript Script"])
    func scripts(_ type: String) throws {
        let c = try normalizedConfig(["type": .string(type), "codeContent": "def main(): return 1",
                                      "requirements": ["numpy==2.0"], "connections": ["warehouse"]])
        #expect(c["network"] == false)
        #expect(c["connections"] == ["warehouse"])
        #expect(c["requirements"] == ["numpy==2.0"])
        #expect(c["type"] == .string(type))
        #expect(configErrors(["type": .string(type), "codeContent": "", "network": "yes", "timeoutSeconds": 0,
                              "memoryMb": 1.5, "requirements": "numpy"]) == [
            "config.codeContent: must not be empty",
            "config.requirements: must be an array",
            "config.network: must be a boolean",
            "config.timeoutSeconds: must be greater than 0 and at most 604800",
            "config.memoryMb: must be an integer",
        ])
    }

    @Test func streamlit() throws {
        #expect(configErrors(["type": "Streamlit App", "port": 70000]) == [
            "config: requires one of: gitRepoUrl, codeContent",
            "config.port: must be between 1 and 65535",
        ])
        let c = try normalizedConfig(["type": "Streamlit App", "gitRepoUrl": "https://github.com/o/r"])
        #expect(c["mainScriptPath"] == "app.py")
        #expect(c["port"] == nil)
    }

    @Test func mcpAcceptsJSONAndYAML() throws {
        let yaml = "command: npx\nargs: [\"-y\", server]\nenv:\n  PORT: 8080\n"
        #expect(configErrors(["type": "MCP", "mcpConfiguration": .string(yaml), "tool": "read_file"]).isEmpty)
        let (m, _) = MCPConfiguration.parse(yaml, path: "config.mcpConfiguration")
        #expect(m == MCPConfiguration(command: "npx", args: ["-y", "server"], env: [("PORT", "8080")]))
        #expect(m?.json.serialized() == #"{"command":"npx","args":["-y","server"],"env":{"PORT":"8080"}}"#)
        let json = #"{"mcpServers":{"fs":{"command":"uvx","args":["mcp-server-fs"]}}}"#
        #expect(configErrors(["type": "MCP", "mcpConfiguration": .string(json), "tool": "ls"]).isEmpty)
        #expect(MCPConfiguration.parse(json, path: "x").0 == MCPConfiguration(command: "uvx", args: ["mcp-server-fs"]))
        // Block-sequence YAML form.
        let (parsed, errs) = MCPConfiguration.parse("command: python\nargs:\n  - -m\n  - srv\n", path: "x")
        #expect(errs.isEmpty)
        #expect(parsed?.args == ["-m", "srv"])
    }

    @Test func mcpErrors() {
        #expect(configErrors(["type": "MCP", "mcpConfiguration": "args: [a, {b: c}]\nextra: 1", "tool": ""]) == [
            "config.mcpConfiguration.extra: unknown field",
            "config.mcpConfiguration.command: is required",
            "config.mcpConfiguration.args[1]: must be a string",
            "config.tool: must not be empty",
        ])
        #expect(configErrors(["type": "MCP", "mcpConfiguration": "{\"command\": ", "tool": "t"])
                == [#"config.mcpConfiguration: is not valid JSON or YAML: unexpected end of input at line 1, column 13 (byte 12)"#])
        #expect(configErrors(["type": "MCP", "mcpConfiguration": "- a\n- b", "tool": "t"])
                == ["config.mcpConfiguration: must be a mapping with command, args and env"])
    }

    @Test func dataUtilityOutput() throws {
        let d = try normalizedConfig(["type": "Data", "connection": "warehouse", "query": "select $1"])
        #expect(d.serialized() == #"{"type":"Data","connection":"warehouse","query":"select $1","params":[],"maxRows":1000}"#)
        #expect(configErrors(["type": "Utility", "operation": "plugin"]) == [
            "config.plugin: is required when operation is plugin",
            "config.pluginOperation: is required when operation is plugin",
        ])
        #expect(configErrors(["type": "Utility", "operation": "explode"]) == [
            "config.operation: must be one of: merge, pick, template, plugin",
        ])
        #expect(configErrors(["type": "Utility", "operation": "pick"]) == ["config.keys: is required when operation is pick"])
        // The stored forms the utility plugin reads (it parses `keys` / `args` itself).
        #expect(try normalizedConfig(["type": "Utility", "operation": "template", "template": "hi ${inputs.name}"])
                == ["type": "Utility", "operation": "template", "args": [:], "template": "hi ${inputs.name}"])
        #expect(try normalizedConfig(["type": "Utility", "operation": "pick", "keys": ["town": "user.address.city"]])["keys"]
                == ["town": "user.address.city"])
        #expect(try normalizedConfig(["type": "Utility", "operation": "plugin", "plugin": "p", "pluginOperation": "f",
                                      "args": ["${inputs.x}", 2]])["args"] == ["${inputs.x}", 2])
        let o = try normalizedConfig(["type": "Output"])
        #expect(o.serialized() == #"{"type":"Output","format":"json","name":"output"}"#)
        #expect(configErrors(["type": "Output", "format": "xml"]) == ["config.format: must be one of: json, csv, text"])
    }

    @Test func nullMeansAbsent() throws {
        let c = try normalizedConfig(["type": "LLM Prompt Agent", "model": "m", "topP": nil, "temperature": nil])
        #expect(c["topP"] == nil)
        #expect(c["temperature"] == .double(0.7))
    }

    @Test func customPathRoot() {
        #expect(bundledTypes.validate(["type": "Output", "format": 1], path: "steps[0].config").errors.map(\.description)
                == ["steps[0].config.format: must be a string"])
    }
}
