import KernelCore
import KernelLoop

/// Everything an executor gets to run one attempt of one step.
public struct StepInvocation: Sendable {
    public var runID: EntityID
    public var stepID: String
    public var attempt: Int
    public var componentID: EntityID
    public var componentVersion: Int
    public var type: ComponentType
    public var config: JSON
    /// Resolved inputs.
    public var inputs: JSON
    /// `$MCPK_HOME/work/<run>/<step>/<attempt>` (process executors: the sandbox creates it).
    public var workDirectory: String
    /// `$MCPK_HOME/artifacts/<run>` (exists).
    public var artifactDirectory: String
    /// The step's `timeoutSeconds` (the engine enforces it; executors may pass it on).
    public var timeoutMilliseconds: UInt64? = nil
    /// When `inputs` holds `BlobReference`s: a file (outside the work dir) with the inputs'
    /// JSON text, references replaced by their stored values. Executors move it into the
    /// work dir as `inputs.json` instead of serialising `inputs`.
    public var inputsFile: String? = nil
    /// Run artifacts the inputs reference (`{"$artifact": name}`): work-dir relative path
    /// (`artifacts/<name>`) → host path under `artifactDirectory`. Executors copy them into
    /// the work dir before the step starts, so a dependant reads a Data step's Arrow result.
    public var stagedFiles: [String: String] = [:]

    public init(runID: EntityID, stepID: String, attempt: Int, componentID: EntityID, componentVersion: Int,
                type: ComponentType, config: JSON, inputs: JSON, workDirectory: String, artifactDirectory: String) {
        self.runID = runID; self.stepID = stepID; self.attempt = attempt; self.componentID = componentID
        self.componentVersion = componentVersion; self.type = type; self.config = config; self.inputs = inputs
        self.workDirectory = workDirectory; self.artifactDirectory = artifactDirectory
    }
}

/// How an attempt ended, from the executor's point of view.
public enum AttemptOutcome: Sendable, Equatable {
    case succeeded(JSON)
    /// Succeeded; the result's JSON text is in this file (a large result the step wrote to its
    /// work dir). The engine moves it into the blob store (`ValueSpool`).
    case succeededWithFile(String)
    case failed(String)
    /// The executor's own wall-clock limit ended it.
    case timedOut(String)
}

/// Where an executor reports while it runs. Every call becomes a run event.
@KernelActor
public protocol StepEventSink: AnyObject {
    func log(_ line: String, stream: String)
    func progress(_ fraction: Double?, message: String?)
    func resultPreview(_ value: JSON)
    func artifact(name: String, path: String, mime: String)
}

/// Why a running attempt is being stopped.
public enum StopReason: String, Sendable {
    case cancelled, timedOut = "timed_out", shutdown
}

/// Cancellation of one attempt. The engine calls `stop`; the executor registers what to do.
@KernelActor
public final class StepCancellation {
    public private(set) var reason: StopReason?
    private var handlers: [(StopReason) -> Void] = []

    public init() {}

    public var isStopped: Bool { reason != nil }

    /// Runs `handler` on stop (at once if already stopped).
    public func onStop(_ handler: @escaping (StopReason) -> Void) {
        if let reason { handler(reason); return }
        handlers.append(handler)
    }

    public func stop(_ why: StopReason) {
        guard reason == nil else { return }
        reason = why
        let hs = handlers
        handlers = []
        for h in hs { h(why) }
    }
}

/// Runs steps of some component types. In the kernel every type is served by an executor
/// plugin through `PluginStepExecutor` (a sandboxed process for `plan`, a plugin thread for
/// `invoke`); tests register small executors of their own.
@KernelActor
public protocol StepExecutor: AnyObject {
    var types: [ComponentType] { get }
    /// Runs one attempt to its end. Must honour `cancellation` promptly (SIGTERM, grace, SIGKILL
    /// for processes) and still return.
    func run(_ invocation: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome
}

/// Executors that come and go at run time (executor plugins): consulted before the
/// registry's own table, so a plugin serving a type takes precedence over a built-in.
@KernelActor
public protocol ExecutorProvider: AnyObject {
    func executor(for type: ComponentType) -> StepExecutor?
    /// Component type → who serves it (a plugin name).
    var routes: [ComponentType: String] { get }
}

/// The executors by component type: the provider's (plugins) first, then the
/// built-in ones registered here.
@KernelActor
public final class ExecutorRegistry {
    private var table: [ComponentType: StepExecutor] = [:]
    public var provider: ExecutorProvider?

    public init() {}

    public func register(_ executor: StepExecutor) {
        for t in executor.types { table[t] = executor }
    }

    public func executor(for type: ComponentType) -> StepExecutor? { provider?.executor(for: type) ?? table[type] }

    public var supportedTypes: [ComponentType] { Set(routes.keys).sorted() }

    /// Component type → who serves it: a plugin name, or `builtin:<Swift type>`.
    public var routes: [ComponentType: String] {
        var out: [ComponentType: String] = [:]
        for (t, e) in table { out[t] = "builtin:\(String(describing: Swift.type(of: e)))" }
        for (t, p) in provider?.routes ?? [:] { out[t] = p }
        return out
    }
}
