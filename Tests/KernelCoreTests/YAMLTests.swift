import Testing
@testable import KernelCore

@Suite struct YAMLTests {
    @Test func mcpServerDocument() throws {
        let text = """
        # an MCP server
        command: npx
        args: ["-y", "@modelcontextprotocol/server-filesystem", '/tmp/a b']
        env: {DEBUG: "1", MODE: fast}
        """
        let v = try YAML.parse(text)
        #expect(v == ["command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp/a b"],
                      "env": ["DEBUG": "1", "MODE": "fast"]])
        #expect(v.objectValue?.keys == ["command", "args", "env"])
    }

    @Test func blockCollections() throws {
        let text = """
        ---
        command: uvx   # trailing comment
        args:
          - mcp-server-git
          - --repository
          - "/srv/repo # not a comment"
        env:
          PORT: 8080
          TOKEN: 'it''s'
          EMPTY:
        nested:
          - name: a
            value: 1.5
          - name: b
            list:
            - x
            - y
        flags: [true, false, null, ~, -3]
        """
        let v = try YAML.parse(text)
        #expect(v["command"] == "uvx")
        #expect(v["args"] == ["mcp-server-git", "--repository", "/srv/repo # not a comment"])
        #expect(v["env"] == ["PORT": 8080, "TOKEN": "it's", "EMPTY": nil])
        #expect(v["nested"] == [["name": "a", "value": 1.5], ["name": "b", "list": ["x", "y"]]])
        #expect(v["flags"] == [true, false, nil, nil, -3])
    }

    @Test func sequenceAtTheKeysIndentation() throws {
        let v = try YAML.parse("command: python\nargs:\n- -m\n- server\nenv:\n  A: 'x: y'\n")
        #expect(v == ["command": "python", "args": ["-m", "server"], "env": ["A": "x: y"]])
        let (mcp, errors) = MCPConfiguration.parse("\n  {\"command\": \"node\", \"args\": [\"srv.js\"]}\n", path: "c")
        #expect(errors.isEmpty)
        #expect(mcp == MCPConfiguration(command: "node", args: ["srv.js"]))
        let (flow, flowErrors) = MCPConfiguration.parse("{command: uvx, args: [tool]}", path: "c")
        #expect(flowErrors.isEmpty)
        #expect(flow == MCPConfiguration(command: "uvx", args: ["tool"]))
    }

    @Test func blockScalars() throws {
        let v = try YAML.parse("script: |\n  line 1\n  line 2\nfolded: >-\n  a\n  b\nafter: x\n")
        #expect(v["script"] == "line 1\nline 2\n")
        #expect(v["folded"] == "a b")
        #expect(v["after"] == "x")
    }

    @Test func scalarsAndEscapes() throws {
        #expect(try YAML.parse("a: \"x\\ty\\u00e9\"")["a"] == "x\tyé")
        #expect(try YAML.parse("url: http://h:80/p")["url"] == "http://h:80/p")
        #expect(try YAML.parse("- 1\n- 2.5\n- text") == [1, 2.5, "text"])
        #expect(try YAML.parse("") == .null)
    }

    /// Errors name the line and column: the kernel's own refusals word for word, libyaml's
    /// syntax errors by what they say.
    @Test(arguments: [
        ("a: 1\na: 2", 2, 1, "duplicate key 'a'"),
        ("a: [1, 2", 1, 9, "did not find expected ',' or ']'"),
        ("a: [1, 2}", 1, 9, "did not find expected ',' or ']'"),
        ("a: 1\n   b: 2", 2, 5, "mapping values are not allowed in this context"),
        ("a: &x 1", 1, 4, "anchors, aliases and tags are not supported"),
        ("a: \"open", 1, 9, "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)"),
        ("a: 1\n---\nb: 2", 2, 1, "multiple documents are not supported"),
        ("a: !!str 1", 1, 4, "anchors, aliases and tags are not supported"),
        ("? [a]\n: 1", 1, 3, "complex keys are not supported"),
        ("a:\n\tb: 1", 2, 1, "found character that cannot start any token"),
    ])
    func errorsNameTheLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        #expect {
            try YAML.parse(text)
        } throws: { error in
            guard let e = error as? YAML.Error else { return false }
            return e.line == line && e.column == column && e.message.hasPrefix(message) && e.description.hasPrefix("line \(line), column \(column): ")
        }
    }

    @Test func limitsAreNamed() {
        let deep = String(repeating: "[", count: YAML.maxDepth + 1) + String(repeating: "]", count: YAML.maxDepth + 1)
        #expect(throws: YAML.Error.self) { try YAML.parse(deep) }
        #expect((try? YAML.parse(String(repeating: "[", count: YAML.maxDepth) + String(repeating: "]", count: YAML.maxDepth))) != nil)
        do { _ = try YAML.parse(String(repeating: "#", count: YAML.maxBytes + 1)); Issue.record("no error") } catch {
            #expect((error as? YAML.Error)?.message.contains("over the limit of \(YAML.maxBytes) bytes (YAML.maxBytes)") == true)
        }
    }
}
