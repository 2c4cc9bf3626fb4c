import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import KernelSandbox

/// A leased executor plugin's `plan` and `finish` for one process step, called off
/// the loop on the step's own thread (the plugin may live in a `mcpk plugin-host`
/// child, where each call is a pipe round trip). The sandbox asks through `StepPlanning`
/// and never calls plugin code itself.
@KernelActor
public final class ExecutorPlanner: StepPlanning {
    public let lease: ExecutorLease
    private let thread: WorkerThread

    public init(lease: ExecutorLease) {
        self.lease = lease
        thread = WorkerThread(name: "mcpk-plan-\(lease.plugin)")
    }

    /// The thread detaches itself once stopped, so its stack is given back (issue 16: never
    /// joined, each step's planner thread kept ~25 KiB of RSS for good).
    deinit { thread.stop() }

    /// The process spec; a plugin failure is reported with its kind (`invalid_params` for bad config).
    public func plan(_ request: StepCall) async throws -> JSON {
        let lease = lease, step = ExecutorStep(request)
        do { return try await thread.run { try lease.plan(step) } } catch let f as PluginFailure { throw f.kernelError }
    }

    /// nil when the executor has no `finish` (default: the fd 3 result, a failure fails the step).
    public func finish(_ request: StepCall, outcome: StepOutcome) async -> Result<JSON, KernelError>? {
        let lease = lease, step = ExecutorStep(request)
        let o = ExecutorPlanner.outcome(outcome)
        do {
            guard let v = try await thread.run({ try lease.finish(step, outcome: o) }) else { return nil }
            return .success(v)
        } catch let f as PluginFailure {
            return .failure(KernelError(.internal, f.message))
        } catch let e as KernelError {
            return .failure(e)
        } catch {
            return .failure(.internal("\(error)"))
        }
    }

    static func outcome(_ outcome: StepOutcome) -> ExecutorOutcome {
        let exitCode: Int32, signal: Int32
        switch outcome.termination {
        case .exited(let c): exitCode = Int32(truncatingIfNeeded: c); signal = 0
        case .signaled(let s): exitCode = -1; signal = s
        case .timedOut, .cancelled: exitCode = -1; signal = SIGKILL
        case .failedToStart: exitCode = -1; signal = 0
        }
        return ExecutorOutcome(exitCode: exitCode, termSignal: signal, timedOut: outcome.termination == .timedOut,
                               cancelled: outcome.termination == .cancelled, resultJSON: outcome.result?.serialized(),
                               errorJSON: outcome.error.map { JSON.object(JSONObject([("type", "error"), ("message", .string($0))])).serialized() },
                               stderrTail: outcome.stderrTail.joined(separator: "\n"),
                               stdoutTail: outcome.stdoutTail.joined(separator: "\n"))
    }
}
