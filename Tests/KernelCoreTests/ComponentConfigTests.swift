import Testing
@testable import KernelCore

/// Errors of `ComponentSpec.validate` as "path: message" strings.
func configErrors(_ config: JSON) -> [String] {
    ComponentSpec.validate(config).errors.map(\.description)
}

func parseJSON(_ text: String) -> JSON {
    (try? JSONParser.parse(text)) ?? .null
}

@Suite struct ComponentConfigTests {
    @Test func llmDefaultsAndNormalisation() throws {
        let c = try ComponentConfig.parse(["type": "LLM Prompt Agent", "model": "gpt-4o-mini", "systemPrompt": "be brief"])
        guard case .llmPromptAgent(let llm) = c else { Issue.record("wrong case \(c)"); return }
        #expect(llm.model == "gpt-4o-mini")
        #expect(llm.temperature == 0.7)
        #expect(llm.maxTokens == 1024)
        #expect(llm.topP == nil)
        #expect(c.type == .llmPromptAgent)
        #expect(c.json.serialized()
                == #"{"type":"LLM Prompt Agent","model":"gpt-4o-mini","systemPrompt":"be brief","temperature":0.7,"maxTokens":1024}"#)
        #expect(c.checksum == SHA256.hex(c.json.canonical()))
    }

    @Test func streamlitTTLSecondsIsAPositiveInteger() throws {
        let c = try ComponentConfig.parse(["type": "Streamlit App", "codeContent": "import streamlit", "ttlSeconds": 90])
        guard case .streamlitApp(let app) = c else { Issue.record("wrong case \(c)"); return }
        #expect(app.ttlSeconds == 90)
        let zero = configErrors(["type": "Streamlit App", "codeContent": "x", "ttlSeconds": 0])
        #expect(zero.count == 1 && zero.first?.hasPrefix("config.ttlSeconds") == true)
        let text = configErrors(["type": "Streamlit App", "codeContent": "x", "ttlSeconds": "soon"])
        #expect(text.count == 1 && text.first?.hasPrefix("config.ttlSeconds") == true)
    }

    @Test func numbersNormaliseSoChecksumsAgree() throws {
        let a = try ComponentConfig.parse(["type": "LLM Prompt Agent", "model": "m", "temperature": 1, "maxTokens": 2.0])
        let b = try ComponentConfig.parse(["maxTokens": 2, "temperature": 1.0, "model": "m", "type": "LLM Prompt Agent"])
        #expect(a.json == b.json)
        #expect(a.checksum == b.checksum)
        #expect(a.json["temperature"] == .double(1))
        #expect(a.json["maxTokens"] == .int(2))
    }

    @Test func llmReportsEveryErrorWithPaths() {
        let errors = configErrors([
            "type": "LLM Prompt Agent", "temperature": 3, "maxTokens": 0, "topP": 1.5, "topK": -1,
            "endpoint": "ftp://x", "systemPrompt": 5, "colour": "red",
        ])
        #expect(errors == [
            "config.colour: unknown field",
            "config.model: is required",
            "config.systemPrompt: must be a string",
            "config.temperature: must be between 0 and 2",
            "config.maxTokens: must be greater than 0",
            "config.topP: must be between 0 and 1",
            "config.topK: must be greater than 0",
            "config.endpoint: must be an http(s) URL",
        ])
    }

    @Test func unknownAndMissingType() {
        #expect(configErrors(["type": "Spreadsheet"]) == [
            "config.type: unknown component type 'Spreadsheet'; valid types: LLM Prompt Agent, Jupyter Notebook, Python Script, TypeScript Script, Streamlit App, MCP, Data, Utility, Output",
        ])
        #expect(configErrors(["model": "x"]).first?.hasPrefix("config.type: is required; valid types: LLM Prompt Agent") == true)
        #expect(configErrors(["type": 3]) == ["config.type: must be a string"])
        #expect(configErrors("text") == ["config: must be an object"])
    }

    @Test func throwsInvalidParamsWithAllErrors() {
        #expect {
            try ComponentConfig.parse(["type": "Data", "maxRows": 0])
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
            "config.notebookCells[1].id: must not be empty",
            "config.notebookCells[1].type: must be one of: code, markdown",
            "config.notebookCells[1].content: is required",
            "config.notebookCells[1].tags[0]: must be a string",
        ])
        let c = try ComponentConfig.parse(parseJSON(#"{"type":"Jupyter Notebook","notebookCells":[{"id":"p","type":"code","content":"n = 1","tags":["parameters"]}]}"#))
        guard case .jupyterNotebook(let nb) = c else { Issue.record("wrong case"); return }
        #expect(nb.kernel == "python3")
        #expect(nb.cells == [.init(id: "p", kind: .code, content: "n = 1", tags: ["parameters"])])
        #expect(nb.parameters.isEmpty)
        #expect(c.json["parameters"] == .object(JSONObject()))
    }

    @Test(arguments: ["Python Script", "TypeScript Script"])
    func scripts(_ type: String) throws {
        let c = try ComponentConfig.parse(["type": .string(type), "codeContent": "def main(): return 1",
                                           "requirements": ["numpy==2.0"], "connections": ["warehouse"]])
        let script: ScriptConfig
        switch c {
        case .pythonScript(let s), .typeScriptScript(let s): script = s
        default: Issue.record("wrong case"); return
        }
        #expect(script.network == false)
        #expect(script.connections == ["warehouse"])
        #expect(script.requirements == ["numpy==2.0"])
        #expect(c.type.rawValue == type)
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
            "config.port: must be between 1 and 65535",
            "config: requires one of: gitRepoUrl, codeContent",
        ])
        let c = try ComponentConfig.parse(["type": "Streamlit App", "gitRepoUrl": "https://github.com/o/r"])
        guard case .streamlitApp(let s) = c else { Issue.record("wrong case"); return }
        #expect(s.mainScriptPath == "app.py")
        #expect(s.port == nil)
    }

    @Test func mcpAcceptsJSONAndYAML() throws {
        let yaml = "command: npx\nargs: [\"-y\", server]\nenv:\n  PORT: 8080\n"
        let c = try ComponentConfig.parse(["type": "MCP", "mcpConfiguration": .string(yaml), "tool": "read_file"])
        guard case .mcp(let m) = c else { Issue.record("wrong case"); return }
        #expect(m.server == MCPConfiguration(command: "npx", args: ["-y", "server"], env: [("PORT", "8080")]))
        #expect(m.server.json.serialized() == #"{"command":"npx","args":["-y","server"],"env":{"PORT":"8080"}}"#)
        let json = #"{"mcpServers":{"fs":{"command":"uvx","args":["mcp-server-fs"]}}}"#
        let c2 = try ComponentConfig.parse(["type": "MCP", "mcpConfiguration": .string(json), "tool": "ls"])
        guard case .mcp(let m2) = c2 else { Issue.record("wrong case"); return }
        #expect(m2.server == MCPConfiguration(command: "uvx", args: ["mcp-server-fs"]))
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
        let d = try ComponentConfig.parse(["type": "Data", "connection": "warehouse", "query": "select $1"])
        #expect(d.json.serialized() == #"{"type":"Data","connection":"warehouse","query":"select $1","params":[],"maxRows":1000}"#)
        #expect(configErrors(["type": "Utility", "operation": "plugin"]) == [
            "config.plugin: is required when operation is plugin",
            "config.pluginOperation: is required when operation is plugin",
        ])
        #expect(configErrors(["type": "Utility", "operation": "explode"]) == [
            "config.operation: must be one of: merge, pick, template, plugin",
        ])
        #expect(configErrors(["type": "Utility", "operation": "pick"]) == ["config.keys: is required when operation is pick"])
        let u = try ComponentConfig.parse(["type": "Utility", "operation": "template", "template": "hi ${inputs.name}"])
        guard case .utility(let uc) = u else { Issue.record("wrong case"); return }
        #expect(uc.operation == .template("hi ${inputs.name}"))
        let picks = try ComponentConfig.parse(["type": "Utility", "operation": "pick", "keys": ["a.b", "c"]])
        guard case .utility(let pc) = picks else { Issue.record("wrong case"); return }
        #expect(pc.operation == .pick([.init(name: "b", path: "a.b"), .init(name: "c", path: "c")]))
        let renamed = try ComponentConfig.parse(["type": "Utility", "operation": "pick", "keys": ["town": "user.address.city"]])
        guard case .utility(let rc) = renamed else { Issue.record("wrong case"); return }
        #expect(rc.operation == .pick([.init(name: "town", path: "user.address.city")]))
        let positional = try ComponentConfig.parse(["type": "Utility", "operation": "plugin", "plugin": "p", "pluginOperation": "f",
                                                    "args": ["${inputs.x}", 2]])
        guard case .utility(let ac) = positional else { Issue.record("wrong case"); return }
        #expect(ac.args == ["${inputs.x}", 2])
        let o = try ComponentConfig.parse(["type": "Output"])
        #expect(o.json.serialized() == #"{"type":"Output","format":"json","name":"output"}"#)
        #expect(configErrors(["type": "Output", "format": "xml"]) == ["config.format: must be one of: json, csv, text"])
    }

    @Test func nullMeansAbsent() throws {
        let c = try ComponentConfig.parse(["type": "LLM Prompt Agent", "model": "m", "topP": nil, "temperature": nil])
        #expect(c.json["topP"] == nil)
        #expect(c.json["temperature"] == .double(0.7))
    }

    @Test func customPathRoot() {
        #expect(ComponentSpec.validate(["type": "Output", "format": 1], path: "steps[0].config").errors.map(\.description)
                == ["steps[0].config.format: must be a string"])
    }
}
