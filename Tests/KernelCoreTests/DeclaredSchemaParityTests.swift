import PluginTestSupport
import Testing
@testable import KernelCore

/// Each bundled type, validated through the schema its plugin declares, gives what the kernel's
/// former Swift validator gave (frozen in Tests/Fixtures/component-configs before it was deleted):
/// the same errors, paths and messages, the same stored form. The JSON Schema validator carries
/// the whole of a type's validation (cross-field rules included: anyOf, if/then, formats).
@Suite struct DeclaredSchemaParityTests {
    static let fixtures: [ComponentConfigFixture] = (try? ComponentConfigFixture.all()) ?? []

    @Test func thereIsAFixturePerBundledType() {
        #expect(Set(Self.fixtures.map(\.type)) == Set(bundledTypes.names), "\(ComponentConfigFixture.directory)")
        #expect(Self.fixtures.allSatisfy { $0.cases.count >= 100 })
    }

    @Test(arguments: fixtures) func declaredSchemaValidatesLikeTheFrozenFixture(_ fixture: ComponentConfigFixture) {
        #expect(bundledTypes.isKnown(fixture.type), "no loaded plugin declares \(fixture.type)")
        #expect(bundledTypes.secretInputs(of: fixture.type) == fixture.secretInputs, "\(fixture.type)")
        let mismatches = fixture.mismatches(bundledTypes)
        #expect(mismatches.isEmpty, "\(fixture.type): \(mismatches.count) of \(fixture.cases.count) differ, first: \(mismatches.prefix(3).joined(separator: "\n"))")
    }

    /// The parity check can fail: a schema that loses one rule no longer matches its fixture.
    @Test func aDriftedSchemaFailsTheFixture() throws {
        let fixture = try #require(Self.fixtures.first { $0.type == .utility })
        var d = try #require(bundledTypes.declared[.utility])
        var schema = try #require(d.schema.objectValue)
        schema["allOf"] = nil
        d.schema = .object(schema)
        #expect(!fixture.mismatches(ComponentTypes(declared: [d])).isEmpty)
    }

    @Test func crossFieldRulesAndFormatsComeFromTheSchema() {
        let u = bundledTypes.validate(["type": "Utility", "operation": "pick"])
        #expect(u.errors.map(\.description) == ["config.keys: is required when operation is pick"])
        let nb = bundledTypes.validate(["type": "Jupyter Notebook"])
        #expect(nb.errors.map(\.description) == ["config: requires one of: notebookCells, notebookPathRef"])
        let llm = bundledTypes.validate(["type": "LLM Prompt Agent", "model": "m", "endpoint": "ftp://x", "maxTokens": 2.0])
        #expect(llm.errors.map(\.description) == ["config.endpoint: must be an http(s) URL"])
        let ok = bundledTypes.validate(["type": "LLM Prompt Agent", "model": "m", "maxTokens": 2.0, "topP": nil])
        #expect(ok.normalized?["maxTokens"] == .int(2) && ok.normalized?["topP"] == nil && ok.normalized?["temperature"] == 0.7)
        let st = bundledTypes.validate(["type": "Streamlit App", "gitRepoUrl": "ssh://h/r", "mainScriptPath": "../x.py"])
        #expect(st.errors.count == 2, "\(st.errors)")
    }
}
