import Testing
@testable import KernelCore

/// A step's `cache: {key?, ttlSeconds}` (issue 14): accepted on component steps, refused with
/// every error and its path otherwise; the `cached` state is a terminal success.
@Suite struct StepCachePolicyTests {
    @Test func acceptsCacheOnAComponentStep() throws {
        let d = try WorkflowDefinition.parse(parseJSON("""
        {"steps":[{"id":"a","component":"fetch","cache":{"ttlSeconds":60}},
                  {"id":"b","component":"fetch","needs":["a"],"cache":{"key":"v2","ttlSeconds":0.5},"inputs":{"r":"${steps.a.result}"}}]}
        """), lookup: catalogue)
        #expect(d.step("a")?.cache == StepCachePolicy(ttlSeconds: 60))
        #expect(d.step("b")?.cache == StepCachePolicy(key: "v2", ttlSeconds: 0.5))
        #expect(d.step("b")?.cache?.ttlMilliseconds == 500)
        #expect(d.json["steps"]?[1]?["cache"]?["key"] == "v2")
    }

    @Test func refusesBadCachesWithPaths() {
        let errors = workflowErrors(parseJSON("""
        {"steps":[
           {"id":"a","component":"fetch","cache":{}},
           {"id":"b","component":"fetch","cache":{"ttlSeconds":0}},
           {"id":"c","component":"fetch","cache":{"ttlSeconds":99999999}},
           {"id":"d","component":"fetch","cache":{"ttlSeconds":5,"key":""}},
           {"id":"e","component":"fetch","cache":{"ttlSeconds":5,"scope":"run"}},
           {"id":"f","wait":{"for":"1s"},"cache":{"ttlSeconds":5}},
           {"id":"g","component":"fetch","forEach":"${inputs.list}","cache":{"ttlSeconds":5}},
           {"id":"h","component":"fetch","cache":"1h"}
         ]}
        """))
        let expected = [
            "steps[0].cache.ttlSeconds",
            "steps[1].cache.ttlSeconds",
            "steps[2].cache.ttlSeconds",
            "steps[3].cache.key",
            "steps[4].cache.scope",
            "steps[5].cache: only a component step has a result cache (not a wait or a nested workflow)",
            "steps[6].cache: a forEach step has no result cache (cache the component of a step without forEach)",
            "steps[7].cache",
        ]
        for e in expected { #expect(errors.contains { $0.hasPrefix(e) }, "missing: \(e)\ngot: \(errors)") }
        #expect(errors.contains { $0.hasPrefix("steps[2].cache.ttlSeconds") && $0.contains("2592000") }, "the limit is named: \(errors)")
    }

    @Test func cachedIsATerminalSuccessReachedFromQueued() {
        #expect(StepStatus.cached.isTerminal && StepStatus.cached.isSuccess)
        #expect(StepStatus.queued.canMove(to: .cached))
        #expect(!StepStatus.running.canMove(to: .cached) && !StepStatus.pending.canMove(to: .cached))
        #expect(StepStatus(rawValue: "cached") == .cached)
    }
}
