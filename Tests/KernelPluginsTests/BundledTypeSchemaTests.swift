import KernelCore
import KernelLoop
import KernelPlugins
import PluginTestSupport
import Testing

/// The nine bundled types are declared by their bundled plugins the way a third-party
/// executor declares a new one (ABI 1.2.0 `type_defs`, Plugins/<name>/<name>_type.h):
/// each plugin's declared schema is the kernel's spec of the type, its secret fields
/// and execution are the ones the kernel used to hard-code, and loading it makes the
/// type's configs validate through the declaration.
@Suite struct BundledTypeSchemaTests {
    static let plugins: [(plugin: String, type: ComponentType, execution: ComponentTypeDefinition.Execution)] = [
        ("python", .pythonScript, .sandbox), ("typescript", .typeScriptScript, .sandbox), ("notebook", .jupyterNotebook, .sandbox),
        ("streamlit", .streamlitApp, .sandbox), ("mcp", .mcp, .sandbox), ("llm", .llmPromptAgent, .inProcess),
        ("data", .data, .inProcess), ("utility", .utility, .inProcess), ("output", .output, .inProcess),
    ]

    @Test @KernelActor func eachBundledPluginDeclaresItsTypeWithTheKernelsSchema() async throws {
        #expect(Set(Self.plugins.map(\.type)) == Set(ComponentType.bundled))
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        for p in Self.plugins { _ = try await host.load(path: TestSupport.bundled("mcpk-" + p.plugin)) }
        let defs = host.componentTypeDefinitions()
        for p in Self.plugins {
            let d = try #require(defs.first { $0.name == p.type }, "\(p.plugin) declares no \(p.type)")
            #expect(d.plugin == "mcpk-" + p.plugin || d.plugin == p.plugin, "\(d.plugin)")
            #expect(d.execution == p.execution, "\(p.type)")
            #expect(d.secretFields == ComponentSpec.secretInputs(of: p.type), "\(p.type)")
            var expected = try #require(ComponentSpec.for(p.type)?.jsonSchema.objectValue)
            for k in ["$schema", "$id", "x-mcpk-secret-inputs"] { expected[k] = nil }
            #expect(d.schema == .object(expected), "\(p.plugin)_type.h is not the kernel's spec of \(p.type)")
        }
        // Through the declarations: the same validation as before, e.g. a Utility rule and a Data limit.
        let types = ComponentTypes(declared: defs)
        #expect(types.declared.count == 9)
        #expect(types.validate(["type": "Utility", "operation": "template"]).errors.map(\.description)
                == ["config.template: is required when operation is template"])
        #expect(types.validate(["type": "Data", "connection": "c", "query": "q", "maxRows": 0]).errors.map(\.description)
                == ["config.maxRows: must be greater than 0 and at most 1000000"])
        await host.shutdown()
    }
}
