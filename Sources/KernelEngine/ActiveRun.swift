import KernelCore
import KernelLoop

/// One step of a run the engine is executing.
@KernelActor
final class StepState {
    let definition: WorkflowStep
    let componentID: EntityID
    let componentVersion: Int
    let type: ComponentType
    let config: JSON
    /// Every attempt so far; the last one is current.
    var attempts: [StepRun]
    var cancellation: StepCancellation?
    var timeoutTimer: Timer?
    var backoffTimer: Timer?
    /// Monotonic ms when the current attempt was dispatched / its executor returned (bench split).
    var dispatchedAt: Double = 0

    init(definition: WorkflowStep, componentID: EntityID, componentVersion: Int, type: ComponentType,
         config: JSON, attempts: [StepRun]) {
        self.definition = definition; self.componentID = componentID; self.componentVersion = componentVersion
        self.type = type; self.config = config; self.attempts = attempts
    }

    var current: StepRun {
        get { attempts[attempts.count - 1] }
        set { attempts[attempts.count - 1] = newValue }
    }

    var status: StepStatus { current.status }
}

/// A run the engine holds: its plan, its steps, and why it is stopping (if it is).
@KernelActor
final class ActiveRun {
    /// Why the run will end other than by success.
    enum Stopping: Equatable {
        case none
        case cancelled
        /// A step failed (or timed out) without `continueOnError`.
        case failed(step: String, message: String, timedOut: Bool)
    }

    var run: WorkflowRun
    let plan: WorkflowDefinition
    var steps: [String: StepState]
    var stopping: Stopping = .none
    /// Values of blobs loaded for path expressions into referenced results (`RunEngine+Values`).
    var blobs: [String: JSON] = [:]
    /// Blobs being loaded, with the queued steps waiting for each.
    var loadingBlobs: [String: [String]] = [:]
    /// Blobs that could not be loaded, with why.
    var blobFailures: [String: String] = [:]
    /// The run's outputs are being moved into the blob store; it finishes when that returns.
    var spoolingOutputs = false

    init(run: WorkflowRun, plan: WorkflowDefinition, steps: [String: StepState]) {
        self.run = run
        self.plan = plan
        self.steps = steps
    }

    var orderedSteps: [StepState] { plan.steps.compactMap { steps[$0.id] } }

    /// What `${…}` references and `when` see: the inputs and every settled step.
    var context: ReferenceContext {
        var outcomes: [String: ReferenceContext.StepOutcome] = [:]
        for (id, s) in steps where s.status.isTerminal {
            outcomes[id] = ReferenceContext.StepOutcome(status: s.status, result: s.current.result, error: s.current.error)
        }
        return ReferenceContext(inputs: run.inputs, steps: outcomes, blobs: blobs)
    }

    var hasUnfinishedWork: Bool {
        steps.values.contains { [.queued, .running, .retrying].contains($0.status) }
    }

    var runningCount: Int { steps.values.filter { $0.status == .running }.count }
}
