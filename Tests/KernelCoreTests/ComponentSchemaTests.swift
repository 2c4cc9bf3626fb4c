import PluginTestSupport
import Testing
@testable import KernelCore

/// The schemas `component.schema` serves, exported from the types the bundled plugins declare.
@Suite struct ComponentSchemaTests {
    @Test func everyTypeHasASchemaInFormOrder() throws {
        #expect(BundledComponentTypes.loadErrors.isEmpty, "\(BundledComponentTypes.loadErrors)")
        let all = bundledTypes.allSchemas
        // By name, whatever order the plugins loaded in.
        #expect(all.objectValue?.keys == ["Data", "Jupyter Notebook", "LLM Prompt Agent", "MCP", "Output", "Python Script",
                                          "Streamlit App", "TypeScript Script", "Utility"])
        let llm = try #require(all["LLM Prompt Agent"])
        #expect(llm["$schema"] == .string(ComponentConventions.schemaDialect))
        #expect(llm["type"] == "object")
        #expect(llm["additionalProperties"] == false)
        #expect(llm["required"] == ["type", "model"])
        #expect(llm["properties"]?.objectValue?.keys == ["type", "model", "systemPrompt", "userPromptTemplate", "temperature",
                                                         "maxTokens", "topP", "topK", "endpoint", "apiKeySecret",
                                                         "connection", "schemaTables", "schemaTokenBudget", "maxResultBytes"])
        #expect(llm["properties"]?["type"]?["const"] == "LLM Prompt Agent")
        let t = try #require(llm["properties"]?["temperature"])
        #expect(t == ["type": "number", "title": "Temperature", "description": "Sampling temperature.", "default": 0.7,
                      "minimum": 0, "maximum": 2])
        #expect(llm["properties"]?["maxTokens"]?["exclusiveMinimum"] == 0)
        #expect(llm["properties"]?["maxTokens"]?["default"] == 1024)
        #expect(llm["properties"]?["endpoint"]?["format"] == "uri")
        #expect(llm["x-mcpk-secret-inputs"] == ["apiKey"])
        #expect(llm["properties"]?["userPromptTemplate"]?[ComponentConventions.templateHint] == true)
    }

    @Test func rulesAreExported() throws {
        let nb = try #require(bundledTypes.schema(of: .jupyterNotebook))
        #expect(nb["anyOf"] == [["required": ["notebookCells"]], ["required": ["notebookPathRef"]]])
        let cells = try #require(nb["properties"]?["notebookCells"]?["items"])
        #expect(cells["required"] == ["id", "type", "content"])
        #expect(cells["properties"]?["type"]?["enum"] == ["code", "markdown"])
        let u = try #require(bundledTypes.schema(of: .utility))
        #expect(u["allOf"]?[2] == ["if": ["properties": ["operation": ["const": "plugin"]], "required": ["operation"]],
                                   "then": ["required": ["plugin", "pluginOperation"]]])
        #expect(bundledTypes.schema(of: .mcp)?["properties"]?["mcpConfiguration"]?["contentMediaType"] == "application/yaml")
        let union = bundledTypes.unionSchema
        #expect(union["oneOf"]?.arrayValue?.count == bundledTypes.names.count)
        #expect(union["properties"]?["type"]?["enum"] == JSON(bundledTypes.names.map(\.rawValue)))
    }

    /// No plugin, no type: nothing is known to the kernel itself.
    @Test func withoutPluginsNoTypeIsKnown() {
        let none = ComponentTypes(declared: [])
        #expect(none.names.isEmpty && none.schema(of: .pythonScript) == nil)
        #expect(none.validate(["type": "Python Script", "codeContent": "x"]).errors.map(\.description)
                == ["config.type: unknown component type 'Python Script'; no loaded executor plugin declares a component type"])
        #expect(none.unionSchema["oneOf"] == [])
    }
}
