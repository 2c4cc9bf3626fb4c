import KernelCore
import Testing
@testable import KernelEngine

@Suite struct EngineRulesTests {
    @Test func backoffIsExponentialAndJitteredWithinBounds() {
        let p = RetryPolicy(max: 3, backoffSeconds: 0.5, factor: 2)
        #expect(p.maxAttempts == 4)
        #expect(p.jitteredDelayMilliseconds(beforeAttempt: 2, unit: 0.5) == 500)
        #expect(p.jitteredDelayMilliseconds(beforeAttempt: 3, unit: 0.5) == 1000)
        #expect(p.jitteredDelayMilliseconds(beforeAttempt: 4, unit: 0.5) == 2000)
        #expect(p.jitteredDelayMilliseconds(beforeAttempt: 3, unit: 0) == 800)
        #expect(p.jitteredDelayMilliseconds(beforeAttempt: 3, unit: 0.999999) <= 1200)
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
