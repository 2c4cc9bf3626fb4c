import Testing
@testable import KernelCore

/// A lookup over a fixed catalogue: `fetch` (versions 1–2), `llm` (1), by name or id.
func catalogue(_ component: String, _ version: Int?) -> ComponentResolution {
    let known: [String: (id: String, latest: Int, type: ComponentType)] = [
        "fetch": ("11111111-1111-4111-8111-111111111111", 2, .pythonScript),
        "11111111-1111-4111-8111-111111111111": ("11111111-1111-4111-8111-111111111111", 2, .pythonScript),
        "llm": ("22222222-2222-4222-8222-222222222222", 1, .llmPromptAgent),
    ]
    guard let c = known[component] else { return .componentNotFound }
    if let version, version > c.latest { return .versionNotFound(latest: c.latest) }
    return .found(.init(id: c.id, version: version ?? c.latest, type: c.type, secretInputs: bundledTypes.secretInputs(of: c.type)))
}

func workflowErrors(_ definition: JSON) -> [String] {
    WorkflowDefinition.validate(definition, lookup: catalogue).errors.map(\.description)
}

@Suite struct WorkflowDefinitionTests {
    let diamond: JSON = parseJSON("""
    {"inputs":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","default":3}},"required":["city"]},
     "steps":[
       {"id":"a","component":"fetch","inputs":{"city":"${inputs.city}"}},
       {"id":"b","component":"fetch","version":1,"needs":["a"],"inputs":{"rows":"${steps.a.result.rows}"},
        "retries":{"max":2}},
       {"id":"c","component":"llm","needs":["a"],"when":"steps.a.result.count > 0","timeoutSeconds":30},
       {"id":"d","component":"fetch","needs":["b","c"],"continueOnError":true,
        "inputs":{"summary":"${steps.c.result.text} (${steps.a.result.count} rows)"}}
     ],
     "outputs":{"answer":"${steps.d.result}"},
     "concurrency":1}
    """)

    @Test func validDiamond() throws {
        let d = try WorkflowDefinition.parse(diamond, lookup: catalogue)
        #expect(d.steps.map(\.id) == ["a", "b", "c", "d"])
        #expect(d.layers == [["a"], ["b", "c"], ["d"]])
        #expect(d.topologicalOrder == ["a", "b", "c", "d"])
        #expect(d.leafSteps == ["d"])
        #expect(d.ancestors(of: "d") == ["a", "b", "c"])
        #expect(d.dependants(of: "a") == ["b", "c"])
        #expect(d.concurrency == 1)
        let b = try #require(d.step("b"))
        #expect(b.retries == RetryPolicy(max: 2, backoffSeconds: 1, factor: 2))
        #expect(b.resolved == .init(id: "11111111-1111-4111-8111-111111111111", version: 1, type: .pythonScript, secretInputs: ["secrets"]))
        #expect(d.step("a")?.resolved?.version == 2)
        #expect(d.step("c")?.when != nil)
        #expect(d.step("c")?.timeoutSeconds == 30)
        #expect(d.step("d")?.continueOnError == true)
        // Normalised JSON: defaults applied, stable checksum.
        #expect(d.json["steps"]?[0]?["needs"] == [])
        #expect(d.json["steps"]?[0]?["continueOnError"] == false)
        #expect(d.json["steps"]?[1]?["retries"] == ["max": 2, "backoffSeconds": 1.0, "factor": 2.0])
        #expect(d.checksum == d.json.contentChecksum)
        #expect(try WorkflowDefinition.parse(d.json, lookup: catalogue).json == d.json)
    }

    @Test func runInputsAndResolution() throws {
        let d = try WorkflowDefinition.parse(diamond, lookup: catalogue)
        let inputs = try d.validateRunInputs(["city": "Oslo"])
        #expect(inputs == ["city": "Oslo", "days": 3])
        #expect {
            try d.validateRunInputs(["city": 5, "days": "x"])
        } throws: { e in
            (e as? KernelError)?.errors.map(\.description) == ["inputs.city: must be a string", "inputs.days: must be an integer"]
        }
        var ctx = ReferenceContext(inputs: inputs)
        #expect(try d.step("a")?.resolveInputs(in: ctx) == ["city": "Oslo"])
        ctx.steps["a"] = .init(status: .succeeded, result: ["rows": [1, 2], "count": 2])
        ctx.steps["b"] = .init(status: .succeeded, result: "B")
        ctx.steps["c"] = .init(status: .succeeded, result: ["text": "sunny"])
        #expect(try d.step("c")?.when?.evaluate(in: ctx) == true)
        #expect(try d.step("d")?.resolveInputs(in: ctx) == ["summary": "sunny (2 rows)"])
        ctx.steps["d"] = .init(status: .succeeded, result: ["ok": true])
        #expect(try d.outputs(in: ctx) == ["answer": ["ok": true]])
    }

    @Test func defaultOutputsAreLeafResults() throws {
        let d = try WorkflowDefinition.parse(["steps": [["id": "x", "component": "fetch"], ["id": "y", "component": "fetch"]]],
                                             lookup: catalogue)
        let ctx = ReferenceContext(inputs: [:], steps: ["x": .init(status: .succeeded, result: 1),
                                                         "y": .init(status: .failed, error: "e")])
        #expect(try d.outputs(in: ctx) == ["x": 1])
        #expect(try d.validateRunInputs(nil) == [:])
    }

    @Test func duplicateIdsUnknownNeedsAndBadIds() {
        #expect(workflowErrors(parseJSON("""
        {"steps":[{"id":"a","component":"fetch"},{"id":"a","component":"fetch"},
                  {"id":"b","component":"fetch","needs":["zz","b","a","a"]},{"id":"9x","component":"fetch"}]}
        """)) == [
            "steps[1].id: duplicate step id 'a' (also steps[0])",
            "steps[3].id: must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most 64 characters)",
            "steps[2].needs[0]: unknown step 'zz'",
            "steps[2].needs[1]: a step cannot need itself",
            "steps[2].needs[3]: duplicate need 'a'",
        ])
    }

    @Test func cyclesAreNamed() {
        #expect(workflowErrors(parseJSON("""
        {"steps":[{"id":"a","component":"fetch","needs":["c"]},{"id":"b","component":"fetch","needs":["a"]},
                  {"id":"c","component":"fetch","needs":["b"]},{"id":"d","component":"fetch","needs":["e"]},
                  {"id":"e","component":"fetch","needs":["d"]},{"id":"f","component":"fetch","needs":["a"]}]}
        """)) == [
            "steps[0].needs: dependency cycle: a -> c -> b -> a",
            "steps[3].needs: dependency cycle: d -> e -> d",
        ])
    }

    @Test func referencesMustBeAncestors() {
        #expect(workflowErrors(parseJSON("""
        {"inputs":{"type":"object","properties":{"city":{"type":"string"}}},
         "steps":[{"id":"a","component":"fetch","inputs":{"x":"${steps.b.result}"}},
                  {"id":"b","component":"fetch","inputs":{"y":["${steps.b.result.z}"],"q":"${inputs.town}"}},
                  {"id":"c","component":"fetch","needs":["a"],"when":"steps.b.status == 'succeeded'",
                   "inputs":{"u":"${steps.ghost.result}","ok":"${steps.a.result.v} ${inputs.city}","bad":"${steps.a.out}"}}],
         "outputs":{"o":"${steps.nope.result}","p":"${steps.c.result}"}}
        """)) == [
            "steps[0].inputs.x: ${steps.b.result}: step 'b' is not an ancestor of 'a' (add it to needs)",
            "steps[1].inputs.y[0]: ${steps.b.result.z} refers to the step itself",
            "steps[1].inputs.q: ${inputs.town} refers to undeclared workflow input 'town'",
            "steps[2].inputs.bad: invalid reference 'steps.a.out': expected .result, .status or .error after 'steps.a'",
            "steps[2].inputs.u: ${steps.ghost.result} refers to unknown step 'ghost'",
            "steps[2].when: ${steps.b.status}: step 'b' is not an ancestor of 'c' (add it to needs)",
            "outputs.o: ${steps.nope.result} refers to unknown step 'nope'",
        ])
    }

    @Test func unparseableWhenAndTemplates() {
        #expect(workflowErrors(["steps": [["id": "a", "component": "fetch", "when": "inputs.x >",
                                           "inputs": ["t": "${inputs.x"]]]]) == [
            "steps[0].inputs.t: unterminated '${' at character 1",
            "steps[0].when: expected a value at character 11, found end of expression",
        ])
    }

    @Test func componentsAndVersionsViaLookup() {
        #expect(workflowErrors(["steps": [["id": "a", "component": "nope"], ["id": "b", "component": "fetch", "version": 7],
                                          ["id": "c", "component": "11111111-1111-4111-8111-111111111111", "version": 2]]]) == [
            "steps[0].component: unknown component 'nope'",
            "steps[1].version: component 'fetch' has no version 7 (latest is 2)",
        ])
        // Without a lookup only the structure is checked.
        #expect(WorkflowDefinition.validate(["steps": [["id": "a", "component": "nope"]]], lookup: nil).errors.isEmpty)
        #expect(WorkflowDefinition.componentReferences(in: ["steps": [["id": "a", "component": "x", "version": 2],
                                                                      ["id": "b", "component": "y"]]]).map { "\($0.component)@\($0.version ?? 0)" }
                == ["x@2", "y@0"])
    }

    @Test func fieldErrorsRetriesAndShape() {
        #expect(workflowErrors(parseJSON("""
        {"steps":[{"id":"a","component":"fetch","retries":{"max":101,"backoffSeconds":-1,"factor":0.5},
                   "timeoutSeconds":0,"needs":"b","colour":1,"continueOnError":"yes"},
                  {"id":"b","component":"","version":0,"retries":{"backoffSeconds":1}}, 7],
         "concurrency":0,"extra":true,"inputs":{"type":"thing"}}
        """)) == [
            "extra: unknown field",
            "concurrency: must be between 1 and 1000",
            "inputs.type: unknown type 'thing'; valid types: array, boolean, integer, null, number, object, string",
            "steps[0].colour: unknown field",
            "steps[0].needs: must be an array",
            "steps[0].retries.max: must be between 0 and 100",
            "steps[0].retries.backoffSeconds: must be between 0 and 3600",
            "steps[0].retries.factor: must be between 1 and 10",
            "steps[0].timeoutSeconds: must be greater than 0 and at most 604800",
            "steps[0].continueOnError: must be a boolean",
            "steps[1].component: must not be empty",
            "steps[1].version: must be at least 1",
            "steps[1].retries.max: is required",
            "steps[2]: must be an object",
        ])
        #expect(workflowErrors([:]) == ["steps: is required"])
        #expect(workflowErrors(["steps": []]) == ["steps: must contain at least one step"])
        #expect(workflowErrors("x") == ["definition: must be an object"])
        #expect {
            try WorkflowDefinition.parse(["steps": 1], lookup: nil)
        } throws: { e in
            (e as? KernelError).map { $0.kind == .invalidParams && $0.message == "invalid workflow definition" } ?? false
        }
    }

    @Test func retryBackoff() {
        let r = RetryPolicy(max: 5, backoffSeconds: 2, factor: 3)
        #expect([1, 2, 3, 4].map { r.delay(beforeAttempt: $0) } == [0, 2, 6, 18])
        #expect(RetryPolicy(max: 100, backoffSeconds: 3000, factor: 10).delay(beforeAttempt: 50) == 3600)
    }

    @Test func definitionSchemaExport() {
        let s = WorkflowDefinition.jsonSchema
        #expect(s["required"] == ["steps"])
        // component is required unless the step is a wait or a nested workflow (checked by validation).
        #expect(s["properties"]?["steps"]?["items"]?["required"] == ["id"])
        #expect(s["properties"]?["steps"]?["items"]?["properties"]?["forEach"]?["type"] == "string")
        #expect(s["properties"]?["steps"]?["items"]?["properties"]?["retries"]?["properties"]?["max"]?["maximum"] == 100)
    }
}
