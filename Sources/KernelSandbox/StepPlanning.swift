import KernelCore
import KernelLoop

/// What turns a process step into a process spec and reads its outcome: the sandbox asks, it
/// never calls plugin code itself. The engine's `ExecutorPlanner` answers with an executor
/// plugin's `plan` and `finish`; tests may answer with their own.
@KernelActor
public protocol StepPlanning: AnyObject {
    /// The process spec (JSON, the plan-spec fields of include/mcpk/plugin.h); a failure is a `KernelError`.
    func plan(_ step: StepCall) async throws -> JSON
    /// The step's result from its outcome, or nil for the default (the fd 3 result; a failure fails the step).
    func finish(_ step: StepCall, outcome: StepOutcome) async -> Result<JSON, KernelError>?
}
