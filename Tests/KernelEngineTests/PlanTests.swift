import KernelCore
import Testing
@testable import KernelEngine

@Suite struct PlanTests {
    @Test func topologicalOrderAndLeaves() throws {
        let plan = try WorkflowPlan.parse([
            "steps": [
                ["id": "d", "component": "x", "needs": ["b", "c"]],
                ["id": "b", "component": "x", "needs": ["a"]],
                ["id": "a", "component": "x"],
                ["id": "c", "component": "x", "needs": ["a"]],
            ],
        ])
        #expect(plan.steps.map(\.id) == ["a", "b", "c", "d"])
        #expect(plan.leafIDs == ["d"])
    }

    @Test func rejectsCyclesUnknownNeedsAndUndeclaredReferences() {
        #expect(throws: KernelError.self) {
            try WorkflowPlan.parse(["steps": [["id": "a", "component": "x", "needs": ["b"]], ["id": "b", "component": "x", "needs": ["a"]]]])
        }
        #expect(throws: KernelError.self) { try WorkflowPlan.parse(["steps": [["id": "a", "component": "x", "needs": ["zz"]]]]) }
        #expect(throws: KernelError.self) {
            try WorkflowPlan.parse(["steps": [["id": "a", "component": "x"], ["id": "b", "component": "x", "inputs": ["v": "${steps.a.result}"]]]])
        }
        #expect(throws: KernelError.self) { try WorkflowPlan.parse(["steps": [["id": "a", "component": "x"], ["id": "a", "component": "x"]]]) }
        #expect(throws: KernelError.self) { try WorkflowPlan.parse(["steps": [["id": "a", "component": "x", "retries": ["max": -1]]]]) }
        #expect(throws: KernelError.self) { try WorkflowPlan.parse(["steps": [["id": "a", "component": "x", "when": "${bogus.x}"]]]) }
    }

    @Test func resolvesReferencesTypedAndInterpolated() throws {
        let r = StepInputResolver(inputs: ["n": 3, "name": "ann"], results: ["a": ["rows": [["v": 7]]]])
        #expect(try r.resolve("${inputs.n}") == .int(3))
        #expect(try r.resolve("${steps.a.result.rows.0.v}") == .int(7))
        #expect(try r.resolve("hi ${inputs.name}, n=${inputs.n}") == "hi ann, n=3")
        #expect(try r.resolve(["x": ["${inputs.n}", "lit"]]) == ["x": [3, "lit"]])
        #expect(throws: KernelError.self) { try r.resolve("${steps.a.result.rows.5.v}") }
        #expect(throws: KernelError.self) { try r.resolve("${inputs.missing}") }
        #expect(throws: KernelError.self) { try r.resolve("${steps.zz.result}") }
    }

    @Test func whenExpressions() throws {
        let r = StepInputResolver(inputs: ["flag": true, "n": 5, "s": "a==b"], results: ["a": ["ok": false]])
        #expect(try WhenExpression.parse("${inputs.flag}").evaluate(r))
        #expect(try !WhenExpression.parse("!${inputs.flag}").evaluate(r))
        #expect(try WhenExpression.parse("${inputs.n} >= 5").evaluate(r))
        #expect(try !WhenExpression.parse("${inputs.n} > 5").evaluate(r))
        #expect(try WhenExpression.parse("${inputs.n} != 4 && ${steps.a.result.ok} == false").evaluate(r))
        #expect(try WhenExpression.parse("${inputs.n} == 1 || ${inputs.s} == \"a==b\"").evaluate(r))
        #expect(throws: KernelError.self) { try WhenExpression.parse("${inputs.nope}").evaluate(r) }
    }

    @Test func backoffIsExponentialAndJitteredWithinBounds() {
        let p = RetryPolicy(max: 3, backoffSeconds: 0.5, factor: 2)
        #expect(p.baseDelay(beforeAttempt: 2) == 0.5)
        #expect(p.baseDelay(beforeAttempt: 3) == 1.0)
        #expect(p.baseDelay(beforeAttempt: 4) == 2.0)
        #expect(p.delayMilliseconds(beforeAttempt: 3, unit: 0) == 800)
        #expect(p.delayMilliseconds(beforeAttempt: 3, unit: 0.5) == 1000)
        #expect(p.delayMilliseconds(beforeAttempt: 3, unit: 0.999999) <= 1200)
    }

    @Test func inputSchemaValidation() throws {
        let schema: JSON = ["type": "object", "required": ["n"], "properties": ["n": ["type": "integer", "minimum": 1], "s": ["type": "string", "default": "x"]],
                            "additionalProperties": false]
        try InputSchemaValidator.validate(["n": 2], schema: schema)
        do {
            try InputSchemaValidator.validate(["n": 0, "zz": 1], schema: schema)
            Issue.record("expected a validation error")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams)
            #expect(Set(e.errors.map(\.path)) == ["inputs.n", "inputs.zz"])
        }
        #expect(InputSchemaValidator.applyDefaults(["n": 1], schema: schema) == ["n": 1, "s": "x"])
    }

    @Test func stateMachinesRefuseIllegalTransitions() {
        #expect(!RunStatus.succeeded.canMove(to: .running))
        #expect(!RunStatus.queued.canMove(to: .succeeded))
        #expect(!StepStatus.pending.canMove(to: .running))
        #expect(!StepStatus.succeeded.canMove(to: .retrying))
        for s in StepStatus.allCases where s.isTerminal {
            #expect(StepStatus.allCases.allSatisfy { !s.canMove(to: $0) })
        }
        for s in RunStatus.allCases where s.isTerminal {
            #expect(RunStatus.allCases.allSatisfy { !s.canMove(to: $0) })
        }
    }
}
