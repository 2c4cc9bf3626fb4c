import KernelCore
import KernelLoop

/// Python Script steps run on the engine's own sandbox executor, except
/// those that declare `requirements`: they go to the python executor plugin,
/// whose process runtime builds (and caches, keyed by the requirements hash)
/// a venv for them before the step starts.
@KernelActor
public final class PythonScriptRouter: StepExecutor {
    let direct: StepExecutor
    let withRequirements: StepExecutor

    public init(direct: StepExecutor, withRequirements: StepExecutor) {
        self.direct = direct
        self.withRequirements = withRequirements
    }

    public var types: [ComponentType] { [.pythonScript] }

    /// True when the config names at least one requirement.
    public static func declaresRequirements(_ config: JSON) -> Bool {
        switch config["requirements"] {
        case .array(let items)?: return items.contains { !($0.stringValue ?? "").isEmpty }
        case .string(let s)?: return s.contains { !$0.isWhitespace }
        default: return false
        }
    }

    public func run(_ invocation: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        if PythonScriptRouter.declaresRequirements(invocation.config) {
            return await withRequirements.run(invocation, events: events, cancellation: cancellation)
        }
        return await direct.run(invocation, events: events, cancellation: cancellation)
    }
}
