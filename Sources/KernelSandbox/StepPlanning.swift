import KernelCore
import KernelLoop

/// One process step as the sandbox knows it when it asks for a plan: what to run and where.
public struct PlanRequest: Sendable, Equatable {
    public var componentType: String
    public var config: JSON
    public var inputs: JSON
    /// The attempt's work dir (`WorkDirectory`), made by the sandbox.
    public var workDirectory: String
    public var runId: String
    public var stepId: String
    public var attempt: Int
    /// Where the kernel-provisioned step runtimes live (`MCPK_RUNTIME_DIR`), if set.
    public var runtimeDirectory: String?
}

/// What turns a process step into a process spec and reads its outcome: the sandbox asks, it
/// never calls plugin code itself. The engine's `ExecutorPlanner` answers with an executor
/// plugin's `plan` and `finish`; tests may answer with their own.
@KernelActor
public protocol StepPlanning: AnyObject {
    /// The process spec (JSON, the plan-spec fields of include/mcpk/plugin.h); a failure is a `KernelError`.
    func plan(_ step: PlanRequest) async throws -> JSON
    /// The step's result from its outcome, or nil for the default (the fd 3 result; a failure fails the step).
    func finish(_ step: PlanRequest, outcome: StepOutcome) async -> Result<JSON, KernelError>?
}
