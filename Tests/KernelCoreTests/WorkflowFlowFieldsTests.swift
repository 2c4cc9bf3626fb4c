import Testing
@testable import KernelCore

/// The workflow language of issue 17: `forEach`/`maxParallel` with `${item}`/`${index}`, `wait`
/// steps and nested `workflow` steps — accepted when right, refused with every error and its path.
@Suite struct WorkflowFlowFieldsTests {
    @Test func acceptsForEachWaitAndWorkflowSteps() throws {
        let d = try WorkflowDefinition.parse(parseJSON("""
        {"inputs":{"type":"object","properties":{"files":{"type":"array"}}},
         "steps":[
           {"id":"list","component":"fetch"},
           {"id":"each","component":"fetch","needs":["list"],"forEach":"${steps.list.result.items}","maxParallel":8,
            "when":"${index} < 100","inputs":{"name":"${item.name}","i":"${index}"}},
           {"id":"files","component":"fetch","forEach":"${inputs.files}","inputs":{"f":"${item}"}},
           {"id":"nap","wait":{"for":"1h30m"}},
           {"id":"xmas","wait":{"until":"2026-12-24T00:00:00Z"}},
           {"id":"ok","needs":["each"],"wait":{"signal":"approve","timeoutSeconds":3600,"schema":{"type":"object"}},
            "inputs":{"sql":"${steps.list.result.sql}"}},
           {"id":"sub","workflow":"child@3","needs":["ok"]}
         ]}
        """), lookup: catalogue)
        #expect(d.step("each")?.forEach == "${steps.list.result.items}")
        #expect(d.step("each")?.maxParallel == 8)
        #expect(d.step("nap")?.wait?.kind == .duration(milliseconds: 5_400_000))
        #expect(d.step("xmas")?.wait?.kind == .until(Timestamp(rfc3339: "2026-12-24T00:00:00Z")!))
        #expect(d.step("ok")?.wait?.signalName == "approve")
        #expect(d.step("ok")?.kind == .wait)
        #expect(d.step("sub")?.kind == .workflow(name: "child", version: 3))
        #expect(d.step("list")?.kind == .component)
    }

    @Test func refusesMisuseWithPaths() {
        let errors = workflowErrors(parseJSON("""
        {"steps":[
           {"id":"a","component":"fetch","inputs":{"x":"${item}"}, "maxParallel":2},
           {"id":"b","component":"fetch","forEach":"items: ${inputs.list}"},
           {"id":"c","component":"fetch","forEach":"${steps.z.result}"},
           {"id":"d","wait":{"for":"soon"}},
           {"id":"e","wait":{"for":"1s","signal":"x"}},
           {"id":"f","wait":{"until":"tomorrow"}},
           {"id":"g","wait":{"for":"1s","timeoutSeconds":5}},
           {"id":"h"},
           {"id":"i","component":"fetch","workflow":"w"},
           {"id":"j","workflow":"w@zero"},
           {"id":"k","wait":{"signal":"go"},"forEach":"${inputs.list}"},
           {"id":"l","component":"fetch","when":"${index} > 1"}
         ]}
        """))
        let expected = [
            "steps[0].inputs.x: ${item} is only defined in a step with forEach",
            "steps[0].maxParallel: only a forEach step has maxParallel",
            "steps[1].forEach: must be exactly one ${…} reference to a list, e.g. \"${steps.list.result.items}\"",
            "steps[2].forEach: ${steps.z.result} refers to unknown step 'z'",
            "steps[3].wait.for: 'soon' is not a duration (e.g. \"10m\", \"30s\", \"1h30m\", \"500ms\", \"2d\")",
            "steps[4].wait: takes exactly one of for, until or signal (got for, signal)",
            "steps[5].wait.until: 'tomorrow' is not an RFC 3339 time (e.g. \"2026-12-24T00:00:00Z\")",
            "steps[6].wait.timeoutSeconds: only a signal wait has a timeout (for/until end by themselves)",
            "steps[7].component: is required (or wait, or workflow)",
            "steps[8].workflow: a step runs exactly one of component, wait or workflow (got component, workflow)",
            "steps[9].workflow: 'w@zero' is not a workflow reference (\"name@version\" or \"name\")",
            "steps[10].forEach: only a component step can run once per item",
            "steps[11].when: ${index} is only defined in a step with forEach",
        ]
        for e in expected { #expect(errors.contains(e), "missing: \(e)\ngot: \(errors)") }
    }

    @Test func durations() {
        #expect(WorkflowWait.parseDuration("10m") == 600_000)
        #expect(WorkflowWait.parseDuration("500ms") == 500)
        #expect(WorkflowWait.parseDuration("1.5s") == 1500)
        #expect(WorkflowWait.parseDuration("2d") == 172_800_000)
        #expect(WorkflowWait.parseDuration("10") == nil)
        #expect(WorkflowWait.parseDuration("0s") == nil)
        #expect(WorkflowWait.parseDuration("") == nil)
    }

    @Test func itemAndIndexResolveOnlyInAnItemsContext() throws {
        let ctx = ReferenceContext(inputs: [:])
        #expect(throws: ExpressionError.self) { try Reference.parse("item").resolve(in: ctx) }
        let item = ctx.forItem(["name": "a.csv"], index: 4)
        #expect(try Reference.parse("item.name").resolve(in: item) == "a.csv")
        #expect(try Reference.parse("index").resolve(in: item) == 4)
        #expect(throws: ExpressionError.self) { try Reference.parse("index.x") }
    }
}
