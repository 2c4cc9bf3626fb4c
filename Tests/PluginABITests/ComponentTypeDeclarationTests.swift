import KernelCore
import KernelLoop
import KernelPlugins
import PluginTestSupport
import Testing

/// ABI 1.2.0 `mcpk_executor.type_defs`: a plugin's declared component types reach the
/// host (schema, secret fields, execution), route its steps, and feed `ComponentTypes`;
/// a malformed declaration refuses the load with every problem and its path.
@Suite struct ComponentTypeDeclarationTests {
    @Test @KernelActor func declaredTypeIsServedAndValidatesConfigs() async throws {
        let dir = TestSupport.tempDir("typedefs")
        let so = try TestSupport.buildFixture(TestSupport.fixture("typedefs.c"), into: dir, name: "typedefs")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        let info = try await host.load(path: so)
        #expect(info.metadata?.abiVersion == 1_002_000)
        #expect(info.metadata?.componentTypes == ["Probe Type"])
        let d = try #require(host.componentTypeDefinitions().first)
        #expect(d.name.rawValue == "Probe Type" && d.execution == .sandbox && d.secretFields == ["token"] && d.plugin == "typedefs")
        #expect(host.executorRoutes()["Probe Type"] == "typedefs")

        let types = ComponentTypes(declared: host.componentTypeDefinitions())
        #expect(types.names.last?.rawValue == "Probe Type")
        let ok = types.validate(["type": "Probe Type"])
        #expect(ok.errors.isEmpty && ok.normalized == ["type": "Probe Type", "n": 3], "\(ok)")
        let bad = types.validate(["type": "Probe Type", "n": "x", "token": "s3cret", "extra": 1])
        #expect(Set(bad.errors.map(\.path)) == ["config.n", "config.token", "config.extra"], "\(bad.errors)")
        #expect(bad.errors.contains { $0.path == "config.token" && $0.message.contains("secret") })
        #expect(types.secretInputs(of: ComponentType("Probe Type")) == ["token"])
        #expect(types.schema(of: ComponentType("Probe Type"))?["properties"]?["type"]?["const"] == "Probe Type")

        try await host.unload(name: "typedefs")
        #expect(host.componentTypeDefinitions().isEmpty)
        let gone = ComponentTypes(declared: host.componentTypeDefinitions()).validate(["type": "Probe Type"])
        #expect(gone.errors.first?.message.hasPrefix("unknown component type 'Probe Type'") == true)
        await host.shutdown()
    }

    @Test @KernelActor func malformedDeclarationsRefuseTheLoadWithEveryProblem() async throws {
        let dir = TestSupport.tempDir("badtypes")
        let so = dir + "/libbadtypes.so"
        #expect(TestSupport.sh("cc -shared -fPIC -DBROKEN -I'\(TestSupport.root)/include' '\(TestSupport.fixture("typedefs.c"))' -o '\(so)'") == 0)
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        await #expect(throws: KernelError.self) { try await host.load(path: so) }
        let message = host.list().first { $0.path == so }?.loadError?.message ?? ""
        for part in ["type_defs[0].config_schema_json.properties.n.type: unknown type 'strin'",
                     "type_defs[1].execution: is MCPK_EXECUTION_IN_PROCESS but the executor has no invoke",
                     "type_defs[2].execution: must be MCPK_EXECUTION_SANDBOX (1) or MCPK_EXECUTION_IN_PROCESS (2) (got 7)",
                     "type_defs[3].config_schema_json: is not valid JSON"] {
            #expect(message.contains(part), "\(part) in \(message)")
        }
        await host.shutdown()
    }
}

/// ABI 1.3.0 `mcpk_component_type.flags`: MCPK_TYPE_NO_WORK_DIR only on in-process types,
/// unknown bits refused; a 1.2.0 plugin's table is read without them.
@Suite struct ComponentTypeFlagTests {
    func build(_ tag: String, _ defines: String) -> String {
        let dir = TestSupport.tempDir(tag)
        let so = dir + "/lib\(tag).so"
        #expect(TestSupport.sh("cc -shared -fPIC \(defines) -I'\(TestSupport.root)/include' '\(TestSupport.fixture("typedefs.c"))' -o '\(so)'") == 0)
        return so
    }

    @Test @KernelActor func flagsAreCheckedAtABI1_3_0() async throws {
        let so = build("flagtypes", "-DFLAGS")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        await #expect(throws: KernelError.self) { try await host.load(path: so) }
        let message = host.list().first { $0.path == so }?.loadError?.message ?? ""
        for part in ["type_defs[0].flags: MCPK_TYPE_NO_WORK_DIR is for MCPK_EXECUTION_IN_PROCESS types",
                     "type_defs[1].flags: has unknown bits 6"] {
            #expect(message.contains(part), "\(part) in \(message)")
        }
        #expect(!message.contains("type_defs[2]"), "\(message)")
        await host.shutdown()
    }

    @Test @KernelActor func aPluginAt1_2_0HasItsFlagsIgnored() async throws {
        let so = build("flagtypes12", "-DFLAGS -DFLAGS_AT=MCPK_ABI_VERSION_1_2_0")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        let info = try await host.load(path: so)
        #expect(info.metadata?.abiVersion == 1_002_000)
        let defs = host.componentTypeDefinitions()
        #expect(defs.count == 3 && defs.allSatisfy(\.workDirectory), "\(defs)")
        let lease = try #require(host.executor(forType: "Flag Inline"))
        #expect(lease.needsWorkDirectory)
        lease.release()
        await host.shutdown()
    }

    @Test @KernelActor func bundledUtilityDeclaresNoWorkDirectory() async throws {
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        let info = try await host.load(path: TestSupport.bundled("mcpk-utility"))
        #expect(info.metadata?.abiVersion == 1_003_000)
        let lease = try #require(host.executor(forType: "Utility"))
        #expect(!lease.needsWorkDirectory)
        lease.release()
        await host.shutdown()
    }
}

/// A 1.0.0 executor (names types, declares no schema) loaded over a bundled one: it runs the
/// type's steps, and the type stays creatable with the bundled plugin's declaration.
@Suite struct LegacyExecutorOverrideTests {
    @Test @KernelActor func olderExecutorServesATypeAnotherPluginDeclares() async throws {
        let dir = TestSupport.tempDir("legacy-override")
        let legacy = try TestSupport.buildFixture(TestSupport.fixture("echoexec.c"), into: dir, name: "echoexec")
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        _ = try await host.load(path: TestSupport.bundled("mcpk-utility"))
        _ = try await host.load(path: legacy)
        #expect(host.executorRoutes()["Utility"] == "echoexec")
        let utility = try #require(host.componentTypeDefinitions().first { $0.name.rawValue == "Utility" })
        #expect(utility.plugin != "echoexec")
        let types = ComponentTypes(declared: host.componentTypeDefinitions())
        #expect(types.isKnown(ComponentType("Utility")))
        try await host.unload(name: "echoexec")
        #expect(host.executorRoutes()["Utility"] != "echoexec")
        #expect(host.componentTypeDefinitions().contains { $0.name.rawValue == "Utility" })
        await host.shutdown()
    }
}
