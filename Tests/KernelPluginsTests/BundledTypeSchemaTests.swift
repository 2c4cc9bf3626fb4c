import KernelCore
import KernelLoop
import KernelPlugins
import PluginTestSupport
import Testing

/// The nine bundled types are declared by their bundled plugins the way a third-party
/// executor declares a new one (ABI 1.2.0 `type_defs`, Plugins/<name>/<name>_type.h) — the
/// only source of types: each plugin declares its type with the execution and secret fields
/// the kernel used to hard-code, and loading it through the host makes the type's configs
/// validate through the declaration as the frozen fixtures say (DeclaredSchemaParityTests).
@Suite struct BundledTypeSchemaTests {
    static let plugins: [(plugin: String, type: ComponentType, execution: ComponentTypeDefinition.Execution)] = [
        ("python", .pythonScript, .sandbox), ("typescript", .typeScriptScript, .sandbox), ("notebook", .jupyterNotebook, .sandbox),
        ("streamlit", .streamlitApp, .sandbox), ("mcp", .mcp, .sandbox), ("llm", .llmPromptAgent, .inProcess),
        ("data", .data, .inProcess), ("utility", .utility, .inProcess), ("output", .output, .inProcess),
    ]

    @Test @KernelActor func eachBundledPluginDeclaresItsType() async throws {
        let fixtures = try ComponentConfigFixture.all()
        #expect(Set(Self.plugins.map(\.type)) == Set(fixtures.map(\.type)))
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        for p in Self.plugins { _ = try await host.load(path: TestSupport.bundled("mcpk-" + p.plugin)) }
        let defs = host.componentTypeDefinitions()
        for p in Self.plugins {
            let d = try #require(defs.first { $0.name == p.type }, "\(p.plugin) declares no \(p.type)")
            #expect(d.plugin == "mcpk-" + p.plugin || d.plugin == p.plugin, "\(d.plugin)")
            #expect(d.execution == p.execution, "\(p.type)")
            #expect(d.secretFields == fixtures.first { $0.type == p.type }?.secretInputs, "\(p.type)")
        }
        // The host's declarations are the ones the test helper reads from the same libraries.
        #expect(defs.map(\.name).sorted() == BundledComponentTypes.definitions.map(\.name).sorted())
        for d in defs { #expect(BundledComponentTypes.types.declared[d.name]?.schema == d.schema, "\(d.name)") }
        // Through the host's declarations: the frozen validation, e.g. a Utility rule and a Data limit.
        let types = ComponentTypes(declared: defs)
        #expect(types.names.count == 9)
        for f in fixtures { #expect(f.mismatches(types).isEmpty, "\(f.type)") }
        #expect(types.validate(["type": "Utility", "operation": "template"]).errors.map(\.description)
                == ["config.template: is required when operation is template"])
        #expect(types.validate(["type": "Data", "connection": "c", "query": "q", "maxRows": 0]).errors.map(\.description)
                == ["config.maxRows: must be greater than 0 and at most 1000000"])
        await host.shutdown()
    }
}
