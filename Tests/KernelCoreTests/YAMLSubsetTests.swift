import Testing
@testable import KernelCore

@Suite struct YAMLSubsetTests {
    @Test func mcpServerDocument() throws {
        let text = """
        # an MCP server
        command: npx
        args: ["-y", "@modelcontextprotocol/server-filesystem", '/tmp/a b']
        env: {DEBUG: "1", MODE: fast}
        """
        let v = try YAMLSubset.parse(text)
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
        let v = try YAMLSubset.parse(text)
        #expect(v["command"] == "uvx")
        #expect(v["args"] == ["mcp-server-git", "--repository", "/srv/repo # not a comment"])
        #expect(v["env"] == ["PORT": 8080, "TOKEN": "it's", "EMPTY": nil])
        #expect(v["nested"] == [["name": "a", "value": 1.5], ["name": "b", "list": ["x", "y"]]])
        #expect(v["flags"] == [true, false, nil, nil, -3])
    }

    @Test func sequenceAtTheKeysIndentation() throws {
        let v = try YAMLSubset.parse("command: python\nargs:\n- -m\n- server\nenv:\n  A: 'x: y'\n")
        #expect(v == ["command": "python", "args": ["-m", "server"], "env": ["A": "x: y"]])
        let (mcp, errors) = MCPConfiguration.parse("\n  {\"command\": \"node\", \"args\": [\"srv.js\"]}\n", path: "c")
        #expect(errors.isEmpty)
        #expect(mcp == MCPConfiguration(command: "node", args: ["srv.js"]))
        let (flow, flowErrors) = MCPConfiguration.parse("{command: uvx, args: [tool]}", path: "c")
        #expect(flowErrors.isEmpty)
        #expect(flow == MCPConfiguration(command: "uvx", args: ["tool"]))
    }

    @Test func blockScalars() throws {
        let v = try YAMLSubset.parse("script: |\n  line 1\n  line 2\nfolded: >-\n  a\n  b\nafter: x\n")
        #expect(v["script"] == "line 1\nline 2\n")
        #expect(v["folded"] == "a b")
        #expect(v["after"] == "x")
    }

    @Test func scalarsAndEscapes() throws {
        #expect(try YAMLSubset.parse("a: \"x\\ty\\u00e9\"")["a"] == "x\tyé")
        #expect(try YAMLSubset.parse("url: http://h:80/p")["url"] == "http://h:80/p")
        #expect(try YAMLSubset.parse("- 1\n- 2.5\n- text") == [1, 2.5, "text"])
        #expect(try YAMLSubset.parse("") == .null)
    }

    @Test(arguments: [
        ("a: 1\na: 2", "line 2: duplicate key 'a'"),
        ("a: [1, 2", "line 1: unterminated flow sequence"),
        ("a: [1, 2}", "line 1: expected ',' or ']' in flow sequence"),
        ("a: 1\n   b: 2", "line 2: unexpected indentation"),
        ("a: &x 1", "line 1: anchors, aliases and tags are not supported"),
        ("a: \"open", "line 1: unterminated double-quoted string"),
        ("a: 1\n---\nb: 2", "line 2: multiple documents are not supported"),
    ])
    func errorsNameTheLine(_ text: String, _ message: String) {
        #expect {
            try YAMLSubset.parse(text)
        } throws: { error in
            (error as? YAMLSubset.Error)?.description == message
        }
    }
}
