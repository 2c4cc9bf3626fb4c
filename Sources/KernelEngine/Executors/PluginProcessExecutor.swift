import KernelCore
import KernelLoop
import KernelSandbox

/// Process steps whose plan comes from an executor plugin (include/mcpk/plugin.h `plan`/
/// `finish`): TypeScript Script, Jupyter Notebook, Streamlit App, MCP (Plugins/…). Runs them
/// through `ProcessStepRuntime` (requirements venv, esbuild cache, service health, sandbox).
/// A service (Streamlit) reports its `{url}` as a result preview as soon as it is healthy and
/// stays up until the run is cancelled or its ttl ends.
@KernelActor
public final class PluginProcessExecutor: StepExecutor {
    public let types: [ComponentType]
    let runtime: ProcessStepRuntime
    let table: ExecutorTable
    /// Answers a step's `query` on fd 4 (undeclared connections are refused by the sandbox).
    public var onQuery: (@KernelActor (StepInvocation, StepQuery) async throws -> JSON)?

    /// nil when the table declares none of the kernel's component types or cannot plan.
    public init?(runtime: ProcessStepRuntime, table: ExecutorTable) {
        let t = table.componentTypes.compactMap(ComponentType.init(rawValue:))
        guard !t.isEmpty, table.canPlan else { return nil }
        types = t
        self.runtime = runtime
        self.table = table
    }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        let artifactDir = inv.artifactDirectory
        let query = onQuery
        let step = runtime.start(executor: table, componentType: inv.type.rawValue, config: inv.config, inputs: inv.inputs,
                                 runId: inv.runID, stepId: inv.stepID, attempt: inv.attempt,
                                 onEvent: { e in
                                     if case .result(let v) = e { events.resultPreview(v); return }  // a service's {url}
                                     SandboxStepExecutor.forward(e, to: events, artifactDirectory: artifactDir)
                                 },
                                 onQuery: query.map { q in { request in try await q(inv, request) } })
        cancellation.onStop { [weak step] _ in step?.cancel() }
        let c = await step.completed()
        switch c.result {
        case .success(let v):
            return .succeeded(v)
        case .failure(let e):
            if c.outcome?.termination == .timedOut { return .timedOut("timed out (sandbox wall-clock limit)") }
            return .failed(e.message)
        }
    }
}
