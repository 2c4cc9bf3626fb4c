import KernelCore
import KernelLoop

/// One step of a run the engine is executing, or one item of a `forEach` step (then `parent`
/// is the step and `id` is `<step>[i]`).
@KernelActor
final class StepState {
    let definition: WorkflowStep
    let componentID: EntityID
    let componentVersion: Int
    /// nil for a wait step and a nested workflow step (no component).
    let type: ComponentType?
    let config: JSON
    /// The id its rows and events carry: the step id, or `<step>[i]` for an item.
    let id: String
    /// Every attempt so far; the last one is current. Every change is reported to the run
    /// (its status counts, reference context and scheduling candidates follow incrementally).
    var attempts: [StepRun] {
        didSet { run?.stepChanged(self) }
    }
    /// The run this step belongs to (set by `ActiveRun.init`; nil for an item, which its
    /// parent's `FanOut` accounts for).
    weak var run: ActiveRun?
    /// Position in the plan (scheduling order).
    var index = 0
    /// The status the run last counted for this step.
    var countedStatus: StepStatus
    var cancellation: StepCancellation?
    /// The result cache key of the current attempt (a step with `cache`), and whether the cache
    /// was already asked for it (a miss then launches the executor).
    var cacheKey: String?
    var cacheChecked = false
    var timeoutTimer: Timer?
    var backoffTimer: Timer?
    /// A waiting step's timer (`for`/`until`, or a signal's timeout) and what it waits for.
    var waitTimer: Timer?
    var wait: RunWait?
    /// Monotonic ms when the current attempt was dispatched / its executor returned (bench split).
    var dispatchedAt: Double = 0
    /// A running `forEach` step's items.
    var fanOut: FanOut?
    /// For an item: its step, position and value.
    weak var parent: StepState?
    let itemIndex: Int
    let item: JSON
    /// For an item: the attempt numbers its parent's earlier attempts used (`run.retry` of a
    /// `forEach` step starts every item again as new attempts, keeping their history).
    let attemptBase: Int
    /// Workspace variables and secrets loaded for the attempt about to start (cleared once it
    /// is launched, so a retry reads them afresh).
    var workspaceValues: WorkspaceValues?
    /// The values of the secrets the current attempt uses, masked wherever it is recorded.
    var redactor = SecretRedactor([])

    init(definition: WorkflowStep, componentID: EntityID, componentVersion: Int, type: ComponentType?,
         config: JSON, attempts: [StepRun]) {
        self.definition = definition; self.componentID = componentID; self.componentVersion = componentVersion
        self.type = type; self.config = config; self.attempts = attempts
        id = definition.id
        itemIndex = -1
        item = .null
        attemptBase = 0
        countedStatus = attempts.last?.status ?? .pending
    }

    /// Item `index` of the `forEach` step `parent`.
    init(item: JSON, index: Int, of parent: StepState, attempts: [StepRun]) {
        definition = parent.definition; componentID = parent.componentID; componentVersion = parent.componentVersion
        type = parent.type; config = parent.config; self.attempts = attempts
        id = StepState.itemID(parent.definition.id, index)
        itemIndex = index
        self.item = item
        self.parent = parent
        attemptBase = StepState.itemAttemptBase(of: parent)
        countedStatus = attempts.last?.status ?? .pending
    }

    /// Item attempts of the parent's attempt P are numbered after those of attempts 1…P-1,
    /// each of which used at most `retries.maxAttempts` per item.
    static func itemAttemptBase(of parent: StepState) -> Int {
        (parent.current.attempt - 1) * max(1, parent.definition.retries.maxAttempts)
    }

    /// The attempt number within the current try of the step (for an item: of its parent's
    /// current attempt).
    var relativeAttempt: Int { current.attempt - attemptBase }

    /// `list[3]`.
    nonisolated static func itemID(_ step: String, _ index: Int) -> String { "\(step)[\(index)]" }

    /// `("list", 3)` for `list[3]`.
    nonisolated static func parseItemID(_ id: String) -> (step: String, index: Int)? {
        guard id.hasSuffix("]"), let open = id.lastIndex(of: "[") else { return nil }
        guard let i = Int(id[id.index(after: open)..<id.index(before: id.endIndex)]), i >= 0 else { return nil }
        return (String(id[..<open]), i)
    }

    /// A `forEach` step itself (not one of its items).
    var isFanOutStep: Bool { definition.forEach != nil && parent == nil }

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
    let steps: [String: StepState]
    /// Items of `forEach` steps that are queued, running or retrying, by `<step>[i]`.
    var items: [String: StepState] = [:]
    /// Steps of this run reused from the run it reruns (`run.rerun`).
    var reused: Set<String> = []

    /// A step or an in-flight item by the id its rows carry.
    func state(_ id: String) -> StepState? { steps[id] ?? items[id] }
    var stopping: Stopping = .none
    /// The steps in plan order.
    let orderedSteps: [StepState]
    /// Plan indices of the steps that depend on each step.
    private let dependants: [[Int]]
    /// What `${…}` references and `when` see: the inputs and every settled step; kept up to
    /// date as steps change (not rebuilt per step start).
    private(set) var context: ReferenceContext
    /// Steps per non-terminal status.
    private var pendingCount = 0, queuedCount = 0, runningSteps = 0, retryingCount = 0, waitingCount = 0
    /// Pending steps to look at on the next `advance` (a need of theirs settled), by plan index.
    private var candidates: Set<Int> = []
    /// `$MCPK_HOME/artifacts/<run>` was created.
    var artifactDirectoryReady = false
    /// Values of blobs loaded for path expressions into referenced results (`RunEngine+Values`):
    /// kept in the reference context, which resolves paths into them.
    var blobs: [String: JSON] {
        get { context.blobs }
        set { context.blobs = newValue }
    }
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
        let ordered = plan.steps.compactMap { steps[$0.id] }
        orderedSteps = ordered
        var position: [String: Int] = [:]
        for (i, s) in ordered.enumerated() { position[s.definition.id] = i }
        var deps = Array(repeating: [Int](), count: ordered.count)
        for (i, s) in ordered.enumerated() {
            for n in s.definition.needs { if let j = position[n] { deps[j].append(i) } }
        }
        dependants = deps
        context = ReferenceContext(inputs: run.inputs)
        for (i, s) in ordered.enumerated() {
            s.index = i
            s.run = self
            s.countedStatus = s.status
            count(s.status, by: 1)
            if s.status.isTerminal { context.steps[s.definition.id] = ActiveRun.outcome(s) }
            if s.status == .pending { candidates.insert(i) }
        }
    }

    static func outcome(_ s: StepState) -> ReferenceContext.StepOutcome {
        ReferenceContext.StepOutcome(status: s.status, result: s.current.result, error: s.current.error)
    }

    private func count(_ status: StepStatus, by d: Int) {
        switch status {
        case .pending: pendingCount += d
        case .queued: queuedCount += d
        case .running: runningSteps += d
        case .waiting: waitingCount += d
        case .retrying: retryingCount += d
        case .succeeded, .cached, .failed, .cancelled, .skipped, .timedOut: break
        }
    }

    /// A step's attempts changed: update the counts, its context entry, and when it settled,
    /// make its pending dependants candidates.
    func stepChanged(_ s: StepState) {
        let now = s.status
        let before = s.countedStatus
        if now != before {
            count(before, by: -1)
            count(now, by: 1)
            s.countedStatus = now
            if now.isTerminal && !before.isTerminal {
                for i in dependants[s.index] { candidates.insert(i) }
            }
        }
        if now.isTerminal {
            context.steps[s.definition.id] = ActiveRun.outcome(s)
        } else if before.isTerminal {
            context.steps[s.definition.id] = nil
        }
    }

    /// The candidates for `advance`, in plan order (and forgets them).
    func takeCandidates() -> [StepState] {
        guard !candidates.isEmpty else { return [] }
        let picked = candidates.sorted().map { orderedSteps[$0] }
        candidates = []
        return picked
    }

    var hasUnfinishedWork: Bool { queuedCount + runningSteps + retryingCount + waitingCount > 0 }

    var hasPendingSteps: Bool { pendingCount > 0 }

    var runningCount: Int { runningSteps }
}
