import Glibc
import KernelCore
import KernelLoop
import Logging

/// The run engine: turns `workflow.run` into a queued run pinned to exact versions, schedules
/// its DAG (parallel branches, a kernel-wide step limit, per-workflow run concurrency), runs
/// steps through executors with retries, timeouts and cancellation, and journals every change
/// as a run event. All state lives on the loop (`KernelActor`).
@KernelActor
public final class RunEngine {
    public struct Configuration: Sendable {
        /// `$MCPK_HOME`: work dirs under `work/`, artifacts under `artifacts/`.
        public var home: String
        /// Stable id of this kernel (per home) used for run claims.
        public var owner: String
        public var maxConcurrentSteps: Int
        public var terminateGraceMilliseconds: UInt64
        public var leaseMilliseconds: Int64

        public init(home: String, owner: String, maxConcurrentSteps: Int? = nil,
                    terminateGraceMilliseconds: UInt64 = EngineLimits.terminateGraceMilliseconds,
                    leaseMilliseconds: Int64 = EngineLimits.leaseMilliseconds) {
            self.home = home
            self.owner = owner
            self.maxConcurrentSteps = max(1, maxConcurrentSteps ?? RunEngine.defaultMaxConcurrentSteps)
            self.terminateGraceMilliseconds = terminateGraceMilliseconds
            self.leaseMilliseconds = leaseMilliseconds
        }
    }

    /// 2 × online cores.
    public nonisolated static var defaultMaxConcurrentSteps: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) * EngineLimits.concurrentStepsPerCore
    }

    /// Explicit lifecycle of the engine.
    public enum Phase: String { case created, running, stopping, stopped }

    public let configuration: Configuration
    public let store: RunStore
    public let catalog: EngineCatalog
    public let executors: ExecutorRegistry
    public let journal: RunJournal
    /// Large values by reference (nil: values stay inline, as with an in-memory test store).
    public let values: ValueSpool?
    /// Retention (`MCPK_RETENTION`, `kernel.gc`); set by the kernel when its store supports it.
    public var retention: RetentionSweeper?
    let logger: Logger
    public private(set) var phase: Phase = .created

    /// Runs this engine holds, by id.
    var active: [EntityID: ActiveRun] = [:]
    /// Queued runs waiting for their workflow's concurrency slot, oldest first.
    var waiting: [EntityID] = []
    /// Steps ready to start, oldest first: (run, step).
    var ready: [(EntityID, String)] = []
    var runningSteps = 0
    var leaseTimer: Timer?
    /// Monotonic ms at which the last successful lease renewal (or start) was issued: the
    /// leases of this kernel's runs last at least until this + `leaseMilliseconds`.
    var lastRenewalAt: Double = 0
    /// The lease lapsed (renewals failing); on the next successful renewal lost runs are dropped.
    var leaseLapsed = false
    /// A takeover sweep is in progress (the timer does not start a second one).
    var sweeping = false
    /// Runs this engine took over from kernels whose lease expired.
    public internal(set) var takeoverCount = 0
    var idleWaiters: [EntityID: [CheckedContinuation<Void, Never>]] = [:]
    /// Per-phase timings of finished attempts, for the benchmark (ms).
    public internal(set) var timings = EngineTimings()
    /// The shared queue (PostgreSQL, several kernels): submissions are inserted unowned and every
    /// kernel claims them as it has capacity. nil: single kernel (SQLite), runs start where submitted.
    public var queue: SharedRunQueue?
    /// Host and version for this kernel's heartbeat row (`cluster.status`).
    public var identity = KernelIdentity(host: "", version: "")
    /// The queue may hold claimable runs (set by a NOTIFY, a submission, the slow re-check; cleared
    /// when a claim returns fewer runs than asked).
    var queueMayHaveWork = true
    /// Counts wake-ups, so a claim that raced one does not conclude the queue is drained.
    var queueWakeups = 0
    /// A claim loop is in progress (one at a time).
    var claiming = false
    /// Runs executing on other kernels whose stored events are being read for local subscribers,
    /// and those that got another NOTIFY meanwhile (read again after the current read).
    var remoteReads: Set<EntityID> = []
    var remoteReadsAgain: Set<EntityID> = []
    /// Runs this engine claimed from the shared queue.
    public internal(set) var claimedCount = 0
    let startedAt = Timestamp.now()
    /// Parsed workflow versions and component versions (both immutable), for claims.
    var planCache: [String: WorkflowDefinition] = [:]
    var componentCache: [String: ComponentVersion] = [:]

    public init(configuration: Configuration, store: RunStore, catalog: EngineCatalog, executors: ExecutorRegistry,
                logger: Logger, values: ValueSpool? = nil) {
        self.configuration = configuration
        self.values = values
        self.store = store
        self.catalog = catalog
        self.executors = executors
        self.logger = logger
        self.journal = RunJournal(store: store, owner: configuration.owner, logger: logger)
    }

    /// Recovers the runs this kernel owned, then starts renewing leases.
    public func start() async throws {
        guard phase == .created else { return }
        phase = .running
        lastRenewalAt = monotonicMilliseconds()
        try await recover()
        if queue != nil {
            await heartbeat()
            fillFromQueue()
        }
        let t = try Timer(loop: KernelRuntime.loop)
        let every = UInt64(max(1, configuration.leaseMilliseconds / EngineLimits.leaseRenewalsPerLease))
        t.start(timeoutMs: every, repeatMs: every) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self else { return }
                Task { @KernelActor in await self.leaseTick() }
            }
        }
        leaseTimer = t
    }

    /// Every lease/3: renew this kernel's leases, then sweep for runs of dead kernels.
    func leaseTick() async {
        guard phase == .running else { return }
        let issuedAt = monotonicMilliseconds()
        do {
            try await store.renewLeases(owner: configuration.owner, leaseMilliseconds: configuration.leaseMilliseconds)
            // Lapsed if noticed, or if this renewal was issued a full lease after the last good
            // one (the stored leases expired in between, whether or not anyone noticed).
            if leaseLapsed || issuedAt - lastRenewalAt >= Double(configuration.leaseMilliseconds) {
                leaseLapsed = true
                // Still counted as lapsed (no step starts) until the lost runs are dropped.
                logger.warning("lease renewal works again; checking for runs taken over meanwhile")
                await dropLostRuns()
                leaseLapsed = false
            }
            lastRenewalAt = issuedAt
            pump()
            if queue != nil {
                // The slow re-check (`EngineLimits.queueRecheck`: every lease/3): covers a lost
                // NOTIFY, both for the queue and for remote runs this kernel's clients follow.
                await heartbeat()
                queueNotified("")
                readAllRemoteRuns()
            }
        } catch {
            logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
            if !leaseHeld && !leaseLapsed {
                leaseLapsed = true
                logger.error("this kernel's run leases may have expired: no new steps start until a renewal succeeds",
                             metadata: ["lease_ms": "\(configuration.leaseMilliseconds)"])
            }
        }
        await sweepExpiredRuns()
    }

    /// Whether the leases of this kernel's runs are known to be valid: the last successful
    /// renewal was issued less than one lease ago.
    var leaseHeld: Bool {
        monotonicMilliseconds() - lastRenewalAt < Double(configuration.leaseMilliseconds)
    }

    /// Stops running steps (their runs stay `running` in the store and are recovered by the
    /// next start) and flushes the journal.
    public func stop() async {
        guard phase == .running else { return }
        phase = .stopping
        leaseTimer?.close()
        leaseTimer = nil
        for run in active.values {
            for s in run.steps.values {
                s.backoffTimer?.close(); s.backoffTimer = nil
                s.cancellation?.stop(.shutdown)
            }
        }
        // Wait (bounded by the grace period) for stopped steps to return.
        let deadline = monotonicMilliseconds() + Double(configuration.terminateGraceMilliseconds) + 1000
        while runningSteps > 0 && monotonicMilliseconds() < deadline {
            await sleep(ms: 20)
        }
        await journal.flushed()
        await handBackWork()
        phase = .stopped
    }

    // MARK: submission

    /// `workflow.run`: validates inputs, pins versions, creates the run `queued` and returns it.
    /// The one submission path: schedules, webhooks and MCP tool calls end here too, naming
    /// themselves in `trigger` (`{kind, id, …}`; null for a plain `workflow.run`).
    public func submit(workflow idOrName: String, version: Int?, inputs: JSON, actor: String,
                       trigger: JSON = .null) async throws -> WorkflowRun {
        guard phase == .running else { throw KernelError.unavailable("the run engine is not running") }
        let (workflow, wv) = try await catalog.workflow(idOrName, version: version)
        let plan = try WorkflowDefinition.parse(wv.definition, lookup: nil)
        let withDefaults = try plan.validateRunInputs(inputs)
        var pinned = JSONObject()
        var states: [String: StepState] = [:]
        let runID = Identifier.uuid()
        var stepRows: [StepRun] = []
        // One catalogue lookup per distinct (component, version), not per step.
        var resolved: [String: (Component, ComponentVersion)] = [:]
        for step in plan.steps {
            let (component, cv): (Component, ComponentVersion)
            let key = "\(step.version.map(String.init) ?? "latest")@\(step.component)"
            if let known = resolved[key] {
                (component, cv) = known
            } else {
                do { (component, cv) = try await catalog.component(step.component, version: step.version) } catch let e as KernelError where e.kind == .notFound {
                    throw KernelError.invalidParams("workflow references a missing component",
                                                    errors: [FieldError("steps.\(step.id).component", e.message)])
                }
                resolved[key] = (component, cv)
            }
            guard executors.executor(for: cv.type) != nil else {
                throw KernelError.unavailable("no executor for component type '\(cv.type.rawValue)' (step '\(step.id)')")
            }
            pinned[step.id] = ["component": .string(component.id), "version": JSON(cv.version), "type": .string(cv.type.rawValue)]
            let row = StepRun(runID: runID, stepID: step.id, componentID: component.id, componentVersion: cv.version)
            stepRows.append(row)
            states[step.id] = StepState(definition: step, componentID: component.id, componentVersion: cv.version,
                                        type: cv.type, config: cv.config, attempts: [row])
        }
        let now = Timestamp.now()
        if queue != nil {
            return try await enqueue(runID: runID, workflow: workflow, version: wv, plan: plan, inputs: withDefaults, pinned: pinned,
                                     steps: stepRows, actor: actor, trigger: trigger)
        }
        let run = WorkflowRun(id: runID, workflowID: workflow.id, workflowVersion: wv.version, status: .queued,
                              inputs: withDefaults, pinned: .object(pinned), createdAt: now,
                              owner: configuration.owner,
                              leaseExpiresAt: Timestamp(milliseconds: now.milliseconds + configuration.leaseMilliseconds),
                              trigger: trigger)
        var details = JSONObject([("workflow_id", .string(workflow.id)), ("workflow_version", JSON(wv.version))])
        if !trigger.isNull { details["trigger"] = trigger }
        let audit = ActionLog(id: Identifier.uuid(), at: now, actor: actor, actionType: "run", entityType: "workflow_run",
                              entityID: runID, details: .object(details))
        try await store.createRun(run, steps: stepRows, audit: audit)
        let active = ActiveRun(run: run, plan: plan, steps: states)
        self.active[runID] = active
        journal.setLastSeq(runID, 0)
        journal.emit(runID, .statusChange, ["entity": "run", "status": "queued", "workflow_id": .string(workflow.id)])
        waiting.append(runID)
        pump()
        return run
    }

    // MARK: cancel

    /// `run.cancel`: idempotent. Pending steps become cancelled, running ones are stopped
    /// (SIGTERM, grace, SIGKILL) and the run ends `cancelled` once they have returned.
    public func cancel(_ id: EntityID) async throws -> WorkflowRun {
        guard let run = active[id] else {
            let stored = try await store.run(id)
            if stored.status.isTerminal { return stored }
            // Shared queue: a run nobody claimed yet is claimed here and cancelled.
            if queue != nil, stored.status == .queued, stored.owner == nil || stored.owner == configuration.owner,
               let claimed = try await store.claimRun(id: id, owner: configuration.owner, leaseMilliseconds: configuration.leaseMilliseconds) {
                if active[id] == nil { try await adopt(claimed, as: .claim) }
                if active[id] != nil { return try await cancel(id) }
            }
            throw KernelError.conflict("run \(id) is held by another kernel (\(stored.owner ?? "unknown"))")
        }
        if run.stopping == .cancelled || run.run.status.isTerminal { return run.run }
        run.stopping = .cancelled
        if run.run.status == .queued {
            waiting.removeAll { $0 == id }
        }
        for s in run.orderedSteps {
            switch s.status {
            case .pending, .queued, .retrying:
                s.backoffTimer?.close(); s.backoffTimer = nil
                moveStep(run, s, to: .cancelled, error: "cancelled")
            case .running:
                s.cancellation?.stop(.cancelled)
            default: break
            }
        }
        ready.removeAll { $0.0 == id }
        maybeFinish(run)
        return run.run
    }

    // MARK: helpers

    func sleep(ms: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            do { try Timer.after(loop: KernelRuntime.loop, ms: ms) { c.resume() } } catch { c.resume() }
        }
    }

    /// Returns once the run has finished (with a shared queue also when another kernel runs it;
    /// else immediately if this engine does not hold it).
    public func waitUntilFinished(_ id: EntityID) async {
        if active[id] == nil, queue != nil { await waitForRemoteRun(id) }
        guard active[id] != nil else { await journal.flushed(); return }
        await withCheckedContinuation { idleWaiters[id, default: []].append($0) }
        await journal.flushed()
    }

    public var activeRunCount: Int { active.count }
    public var runningStepCount: Int { runningSteps }
    public var queuedRunCount: Int { waiting.count }
    public var leaseLapsedNow: Bool { !leaseHeld }
}

func monotonicMilliseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
}

/// Accumulated split of step time (for `bench/engine`).
public struct EngineTimings: Sendable {
    /// Ready → executor called (scheduling, input resolution, work dir).
    public var dispatchMs: Double = 0
    /// Executor running.
    public var executionMs: Double = 0
    /// Executor returned → next state journaled.
    public var transitionMs: Double = 0
    public var attempts = 0
}
