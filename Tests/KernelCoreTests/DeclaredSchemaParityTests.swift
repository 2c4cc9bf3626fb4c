import Testing
@testable import KernelCore

/// A bundled type declared by its plugin with the schema its built-in spec exports
/// validates and normalises every config exactly as the built-in spec does (the same
/// errors, paths and messages; the same stored form): the JSON Schema validator carries
/// the whole of a type's validation (cross-field rules included: anyOf, if/then, formats).
@Suite struct DeclaredSchemaParityTests {
    static func declared(_ t: ComponentType) -> ComponentTypes {
        let schema = ComponentSpec.for(t)?.jsonSchema ?? [:]
        return ComponentTypes(declared: [ComponentTypeDefinition(name: t, description: "", schema: schema,
                                                                 secretFields: ComponentSpec.secretInputs(of: t),
                                                                 execution: .sandbox, plugin: "test")])
    }

    @Test(arguments: ComponentType.bundled) func declaredSchemaValidatesLikeTheBuiltInSpec(_ t: ComponentType) throws {
        let spec = try #require(ComponentSpec.for(t))
        let types = Self.declared(t)
        var rng = ParserRobustnessTests.SplitMix(state: 7)
        let values: [JSON] = [nil, true, 0, -1, 0.5, 2.0, 3, 70000, "", "x", "https://h", "git://h/r", "a/../b", "pick", "template",
                              "plugin", "merge", "csv", "arrow", "command: ls", [], ["a"], [1], [:], ["id": "s"],
                              [["id": "c", "type": "code", "content": "x"]], [["id": "c", "type": "sql"]]]
        var mismatches: [String] = []
        for _ in 0..<400 {
            var o = JSONObject([("type", .string(t.rawValue))])
            for f in spec.fields where Bool.random(using: &rng) { o[f.name] = values[Int.random(in: 0..<values.count, using: &rng)] }
            if Int.random(in: 0..<12, using: &rng) == 0 { o["extra"] = 1 }
            let config = JSON.object(o)
            let builtIn = ComponentSpec.validate(config)
            let fromSchema = types.validate(config)
            let a = Set(builtIn.errors.map(\.description)), b = Set(fromSchema.errors.map(\.description))
            if a != b || builtIn.normalized != fromSchema.normalized {
                mismatches.append("\(config.serialized()):\n  spec:   \(a.sorted()) \(builtIn.normalized?.serialized() ?? "-")\n  schema: \(b.sorted()) \(fromSchema.normalized?.serialized() ?? "-")")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3).joined(separator: "\n"))")
    }
}

extension DeclaredSchemaParityTests {
    @Test func crossFieldRulesAndFormatsComeFromTheSchema() {
        let u = Self.declared(.utility).validate(["type": "Utility", "operation": "pick"])
        #expect(u.errors.map(\.description) == ["config.keys: is required when operation is pick"])
        let nb = Self.declared(.jupyterNotebook).validate(["type": "Jupyter Notebook"])
        #expect(nb.errors.map(\.description) == ["config: requires one of: notebookCells, notebookPathRef"])
        let llm = Self.declared(.llmPromptAgent).validate(["type": "LLM Prompt Agent", "model": "m", "endpoint": "ftp://x", "maxTokens": 2.0])
        #expect(llm.errors.map(\.description) == ["config.endpoint: must be an http(s) URL"])
        let ok = Self.declared(.llmPromptAgent).validate(["type": "LLM Prompt Agent", "model": "m", "maxTokens": 2.0, "topP": nil])
        #expect(ok.normalized?["maxTokens"] == .int(2) && ok.normalized?["topP"] == nil && ok.normalized?["temperature"] == 0.7)
        let st = Self.declared(.streamlitApp).validate(["type": "Streamlit App", "gitRepoUrl": "ssh://h/r", "mainScriptPath": "../x.py"])
        #expect(st.errors.count == 2, "\(st.errors)")
    }
}
