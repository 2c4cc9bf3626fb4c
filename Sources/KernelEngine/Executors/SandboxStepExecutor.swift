import KernelCore
import KernelLoop
import KernelSandbox

/// Process-based steps (Python Script, and any type given a planner) run through the
/// kernel's `Sandbox`: bubblewrap + seccomp + rlimits + cgroup, fd 3/4 channel, stdout/stderr
/// lines as `log` events as they arrive. The engine's cancellation (run cancel, step
/// timeout) becomes `StepProcess.cancel()` (SIGTERM, grace, SIGKILL of everything).
@KernelActor
public final class SandboxStepExecutor: StepExecutor {
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
                SandboxStepExecutor.forward(e, to: events, artifactDirectory: artifactDir)
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

    /// Step events → run events; artifacts are copied from the work dir into the run's artifact dir.
    static func forward(_ e: StepEvent, to sink: StepEventSink, artifactDirectory: String) {
        switch e {
        case .log(let stream, let line): sink.log(line, stream: stream)
        case .progress(let f, let m): sink.progress(f, message: m)
        case .resultPreview(let v): sink.resultPreview(v)
        case .result: break  // the final result comes with the outcome
        case .artifact(let a):
            guard ArtifactNames.isValid(a.name), let bytes = ArtifactNames.readFile(a.path, limit: EngineLimits.maxArtifactBytes),
                  ArtifactNames.writeFile(artifactDirectory + "/" + a.name, bytes) else {
                sink.log("artifact '\(a.name)' could not be kept", stream: "kernel")
                return
            }
            sink.artifact(name: a.name, path: artifactDirectory + "/" + a.name, mime: a.mime)
        case .truncated(let stream): sink.log("\(stream) truncated: output cap reached", stream: "kernel")
        case .error: break  // carried by the outcome
        }
    }
}
