import KernelCore
import Testing
@testable import KernelEngine

/// Config fields a type's schema marks `x-mcpk-template` reach the executor plugin with their
/// `${inputs…}` references resolved by the engine (issue 13): one reference language, in Swift.
@Suite struct TemplateFieldTests {
    @Test func templateFieldsAreResolvedAgainstTheStepInputs() throws {
        let config: JSON = ["type": "Utility", "operation": "template", "template": "hi ${inputs.user.name}, $${literal}",
                            "args": ["${inputs.n}", "n=${inputs.n}"], "keys": "${inputs.untouched}"]
        let inputs: JSON = ["user": ["name": "Ada"], "n": 7]
        let r = PluginStepExecutor.resolvingTemplates(config, fields: ["template", "args"], inputs: inputs)
        let out = try r.get()
        #expect(out["template"] == "hi Ada, ${literal}")
        #expect(out["args"] == [7, "n=7"])
        #expect(out["keys"] == "${inputs.untouched}")  // not a template field: left alone
        let bad = PluginStepExecutor.resolvingTemplates(config, fields: ["template"], inputs: ["user": [:]])
        guard case .failure(let f) = bad else { Issue.record("a missing input resolved"); return }
        #expect(f.message.hasPrefix("config.template: "), "\(f.message)")
    }
}
