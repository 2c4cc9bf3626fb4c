import Testing
@testable import KernelCore

@Suite struct ComponentSchemaTests {
    @Test func everyTypeHasASchemaInFormOrder() throws {
        let all = ComponentSpec.allSchemas
        #expect(all.objectValue?.keys == ComponentType.bundled.map(\.rawValue))
        let llm = try #require(all["LLM Prompt Agent"])
        #expect(llm["$schema"] == "https://json-schema.org/draft/2020-12/schema")
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
    }

    @Test func rulesAreExported() throws {
        let nb = ComponentSpec.for(.jupyterNotebook)!.jsonSchema
        #expect(nb["anyOf"] == [["required": ["notebookCells"]], ["required": ["notebookPathRef"]]])
        let cells = try #require(nb["properties"]?["notebookCells"]?["items"])
        #expect(cells["required"] == ["id", "type", "content"])
        #expect(cells["properties"]?["type"]?["enum"] == ["code", "markdown"])
        let u = ComponentSpec.for(.utility)!.jsonSchema
        #expect(u["allOf"]?[2] == ["if": ["properties": ["operation": ["const": "plugin"]], "required": ["operation"]],
                                   "then": ["required": ["plugin", "pluginOperation"]]])
        #expect(ComponentSpec.for(.mcp)!.jsonSchema["properties"]?["mcpConfiguration"]?["contentMediaType"] == "application/yaml")
        let union = ComponentSpec.unionSchema
        #expect(union["oneOf"]?.arrayValue?.count == 9)
    }

    /// The exported schema and the field validator agree (one source of truth):
    /// the schema, run through the generic JSON Schema validator (without the
    /// cross-field rules it does not support), reports the same field errors.
    @Test(arguments: ComponentType.bundled)
    func exportedSchemaAgreesWithValidator(_ type: ComponentType) throws {
        var schemaJSON = try #require(ComponentSpec.for(type)?.jsonSchema.objectValue)
        schemaJSON["anyOf"] = nil
        schemaJSON["allOf"] = nil
        let (compiled, compileErrors) = JSONSchema.compile(.object(schemaJSON), path: "schema")
        #expect(compileErrors.isEmpty, "\(compileErrors)")
        let schema = try #require(compiled)
        let samples: [JSON] = [
            ["type": .string(type.rawValue), "temperature": 5, "maxTokens": -1, "topP": "x", "bogus": 1],
            ["type": .string(type.rawValue), "codeContent": 1, "network": "no", "port": 0, "requirements": [1]],
            ["type": .string(type.rawValue), "notebookCells": [["id": "a", "type": "sql"]], "kernel": ""],
            ["type": .string(type.rawValue), "maxRows": 0, "format": "xml", "operation": "x", "tool": 1],
            ["type": .string(type.rawValue), "model": "m", "connection": "c", "query": "q", "operation": "merge"],
        ]
        for sample in samples {
            let expected = Set(ComponentSpec.validate(sample).errors.filter { $0.path != "config" && !$0.message.contains(" when ") }
                .map(\.description))
            let actual = Set(schema.validate(sample, path: "config").map(\.description))
            #expect(actual == expected, "\(type.rawValue) \(sample.serialized())")
        }
    }
}
