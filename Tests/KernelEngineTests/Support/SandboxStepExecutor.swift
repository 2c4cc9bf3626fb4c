import KernelCore
import KernelEngine
import KernelLoop
import KernelSandbox

/// Test support: Python Script steps planned in Swift (`PythonScriptExecutor.spec`), so the
/// engine's tests need no plugin host. The kernel routes Python through the python plugin.
/// Process-based steps (Python Script, and any type given a planner) run through the
/// kernel's `Sandbox`: bubblewrap + seccomp + rlimits + cgroup, fd 3/4 channel, stdout/stderr
/// lines as `log` events as they arrive. The engine's cancellation (run cancel, step
/// timeout) becomes `StepProcess.cancel()` (SIGTERM, grace, SIGKILL of everything).
@KernelActor
final class SandboxStepExecutor: StepExecutor {
    /// Builds the sandbox spec of one attempt.
    public typealias Planner = @KernelActor (StepInvocation, Sandbox) throws -> StepSpec

    public let sandbox: Sandbox
    private var planners: [ComponentType: Planner] = [:]
    /// Answers a step's `query` on fd 4 (connections), when the kernel has a connection service.
    public var onQuery: (@KernelActor (StepInvocation, StepQuery) async throws -> JSON)?

    public var types: [ComponentType] { Array(planners.keys) }

    public init(sandbox: Sandbox) {
        self.sandbox = sandbox
        planners[.pythonScript] = SandboxStepExecutor.pythonPlanner
    }

    public func register(_ type: ComponentType, _ planner: @escaping Planner) { planners[type] = planner }

    /// `codeContent` with `main(**inputs)`; `network`, `memoryMb`, `environment`, `connections` from the config.
    public static let pythonPlanner: Planner = { inv, sandbox in
        guard let code = inv.config["codeContent"]?.stringValue ?? inv.config["code"]?.stringValue else {
            throw KernelError.invalidParams("the component has no codeContent")
        }
        var env: [String: String] = [:]
        for (k, v) in inv.config["environment"]?.objectValue ?? JSONObject() { if let s = v.stringValue { env[k] = s } }
        env["MCPK_ATTEMPT"] = String(inv.attempt)
        let connections = Set(inv.config["connections"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return PythonScriptExecutor.spec(
            runId: inv.runID, stepId: inv.stepID, attempt: inv.attempt, code: code, inputs: inv.inputs, sandbox: sandbox,
            timeoutMs: inv.timeoutMilliseconds ?? SandboxLimits.defaultTimeoutMs,
            memoryMb: inv.config["memoryMb"]?.intValue.map { UInt64(max(0, $0)) } ?? SandboxLimits.defaultMemoryMb,
            network: inv.config["network"]?.boolValue ?? false, connections: connections, environment: env)
    }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        guard let planner = planners[inv.type] else { return .failed("no sandbox planner for '\(inv.type.rawValue)'") }
        let spec: StepSpec
        do { spec = try planner(inv, sandbox) } catch let e as KernelError { return .failed(e.message) } catch { return .failed("\(error)") }
        let artifactDir = inv.artifactDirectory
        let step: StepProcess
        do {
            let query = onQuery
            step = try sandbox.start(spec, onEvent: { e in
                StepEventForwarding.forward(e, to: events, artifactDirectory: artifactDir)
            }, onQuery: query.map { q in { request in try await q(inv, request) } })
        } catch let e as KernelError {
            return .failed(e.message)
        } catch {
            return .failed("\(error)")
        }
        cancellation.onStop { [weak step] _ in step?.cancel() }
        let outcome = await step.outcome()
        if outcome.succeeded { return .succeeded(outcome.result ?? .null) }
        if case .timedOut = outcome.termination { return .timedOut("timed out (sandbox wall-clock limit)") }
        return .failed(outcome.failureSummary)
    }
}
