import Glibc
import KernelCore
import KernelLoop
import KernelStore
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
    /// `draining`: SIGTERM's grace period (`drain`): running steps finish, nothing new starts.
    public enum Phase: String { case created, running, draining, stopping, stopped }

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
    public internal(set) var phase: Phase = .created

    /// Runs this engine holds, by id.
    var active: [EntityID: ActiveRun] = [:]
    /// Queued runs waiting for their workflow's concurrency slot, oldest first.
    var waiting: [EntityID] = []
    /// Steps ready to start, oldest first: (run, step).
    var ready = ReadyQueue()
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
    /// The optional Redis (`attachRedis`): events fanned out through pub/sub, the step result cache.
    public internal(set) var redis: RedisService?
    /// Remote runs whose Redis channel this engine follows.
    var redisFollowed: Set<EntityID> = []
    /// NOTIFYs (run → seq) Redis may still deliver: checked after `EngineLimits.redisGraceMilliseconds`.
    var redisPendingChecks: [EntityID: Int64] = [:]
    var redisCheckArmed = false
    /// Events taken from Redis messages, and messages that had a gap (read from the store instead).
    public internal(set) var redisEventsDelivered = 0
    public internal(set) var redisGapReads = 0
    /// Where step result cache entries live (`Kernel` sets it: Redis when configured, else the store).
    public var stepCache: StepResultCache?
    public internal(set) var cacheHits = 0
    public internal(set) var cacheMisses = 0
    public internal(set) var cacheSaves = 0
    public internal(set) var cacheErrors = 0
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
        lastRenewalAt = MonotonicClock.milliseconds()
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
        // A draining engine keeps renewing (its steps still run) but sweeps for nothing.
        guard phase == .running || phase == .draining else { return }
        let issuedAt = MonotonicClock.milliseconds()
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
        MonotonicClock.milliseconds() - lastRenewalAt < Double(configuration.leaseMilliseconds)
    }

    /// Stops running steps (their runs stay `running` in the store and are recovered by the
    /// next start) and flushes the journal.
    public func stop() async {
        guard phase == .running || phase == .draining else { return }
        phase = .stopping
        leaseTimer?.close()
        leaseTimer = nil
        for run in active.values {
            for s in Array(run.steps.values) + Array(run.items.values) {
                s.backoffTimer?.close(); s.backoffTimer = nil
                s.waitTimer?.close(); s.waitTimer = nil
                s.cancellation?.stop(.shutdown)
            }
        }
        // Wait (bounded by the grace period) for stopped steps to return.
        let deadline = MonotonicClock.milliseconds() + Double(configuration.terminateGraceMilliseconds) + 1000
        while runningSteps > 0 && MonotonicClock.milliseconds() < deadline {
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
        try await submit(workflow: idOrName, version: version, inputs: inputs, actor: actor, trigger: trigger, idempotency: nil).run
    }

    /// `submit` with an idempotency key: when the key already names a run of the window (on any
    /// kernel sharing the store) that run comes back with `replayed: true` and nothing starts.
    /// The same key naming a run of another workflow is a `conflict`.
    public func submit(workflow idOrName: String, version: Int?, inputs: JSON, actor: String, trigger: JSON = .null,
                       idempotency: IdempotencyClaim?) async throws -> (run: WorkflowRun, replayed: Bool) {
        guard phase == .running else {
            throw KernelError.unavailable(phase == .draining ? "the kernel is stopping (draining running steps)" : "the run engine is not running")
        }
        let (workflow, wv) = try await catalog.workflow(idOrName, version: version)
        let plan = try parsedPlan(workflowID: workflow.id, wv)
        let withDefaults = try plan.validateRunInputs(inputs)
        let pinned = try await pin(plan)
        return try await startRun(workflow: workflow, version: wv.version, plan: plan, inputs: withDefaults, pinned: pinned,
                                  reused: [:], trigger: trigger, actor: actor, idempotency: idempotency)
    }

    /// Pins every step of a plan to exact versions: `{component, version, type}` per component
    /// step, `{wait}` per wait step, `{workflow, version}` per nested workflow step.
    func pin(_ plan: WorkflowDefinition) async throws -> JSONObject {
        var pinned = JSONObject()
        // One catalogue lookup per distinct (component, version), not per step.
        var resolved: [String: (Component, ComponentVersion)] = [:]
        for step in plan.steps {
            switch step.kind {
            case .wait:
                pinned[step.id] = ["wait": .string(step.wait?.kindName ?? "for")]
                continue
            case .workflow(let name, let version):
                do {
                    let (w, v) = try await catalog.workflow(name, version: version)
                    pinned[step.id] = ["workflow": .string(w.id), "version": JSON(v.version)]
                } catch let e as KernelError where e.kind == .notFound {
                    throw KernelError.invalidParams("workflow references a missing workflow",
                                                    errors: [FieldError("steps.\(step.id).workflow", e.message)])
                }
                continue
            case .component: break
            }
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
        }
        return pinned
    }

    /// The state of one step from its pin (component config loaded for a component step).
    func stepState(_ step: WorkflowStep, pinned: JSON, runID: EntityID, attempts: [StepRun]) async throws -> StepState {
        let pin = pinned[step.id]
        if case .component = step.kind {
            guard let cid = pin?["component"]?.stringValue, let v = pin?["version"]?.intValue else {
                throw KernelError.internal("run \(runID) has no pinned version for step '\(step.id)'")
            }
            let componentKey = "\(cid)@\(v)"
            let cv: ComponentVersion
            if let known = componentCache[componentKey] {
                cv = known
            } else {
                (_, cv) = try await catalog.component(cid, version: Int(v))
                if componentCache.count >= EngineLimits.maxCachedVersions { componentCache.removeAll() }
                componentCache[componentKey] = cv
            }
            let rows = attempts.isEmpty ? [StepRun(runID: runID, stepID: step.id, componentID: cid, componentVersion: Int(v))] : attempts
            return StepState(definition: step, componentID: cid, componentVersion: Int(v), type: cv.type, config: cv.config, attempts: rows)
        }
        let rows = attempts.isEmpty ? [StepRun(runID: runID, stepID: step.id, componentID: "", componentVersion: 0)] : attempts
        return StepState(definition: step, componentID: "", componentVersion: 0, type: nil, config: .null, attempts: rows)
    }

    /// Creates a run `queued` (reused steps already `succeeded`) and hands it to the scheduler.
    /// With a shared queue (several kernels on one PostgreSQL) a fresh run goes onto the queue;
    /// a rerun (reused steps) and a nested workflow's child run stay with this kernel.
    func startRun(workflow: Workflow, version: Int, plan: WorkflowDefinition, inputs: JSON, pinned: JSONObject,
                  reused: [String: StepRun], trigger: JSON, actor: String, action: String = "workflow.run",
                  idempotency: IdempotencyClaim? = nil) async throws -> (run: WorkflowRun, replayed: Bool) {
        let runID = Identifier.uuid()
        var states: [String: StepState] = [:]
        var stepRows: [StepRun] = []
        for step in plan.steps {
            var initial: [StepRun] = []
            if var r = reused[step.id] {
                r.runID = runID
                r.stepID = step.id
                r.attempt = 1
                initial = [r]
            }
            let state = try await stepState(step, pinned: .object(pinned), runID: runID, attempts: initial)
            stepRows.append(state.current)
            states[step.id] = state
        }
        let now = Timestamp.now()
        if queue != nil, reused.isEmpty, trigger["kind"]?.stringValue != "workflow" {
            return try await enqueue(runID: runID, workflow: workflow, version: version, plan: plan, inputs: inputs, pinned: pinned,
                                     steps: stepRows, actor: actor, trigger: trigger, idempotency: idempotency)
        }
        var run = WorkflowRun(id: runID, workflowID: workflow.id, workflowVersion: version, status: .queued,
                              inputs: inputs, pinned: .object(pinned), createdAt: now,
                              owner: configuration.owner,
                              leaseExpiresAt: Timestamp(milliseconds: now.milliseconds + configuration.leaseMilliseconds),
                              trigger: trigger)
        run.concurrencyLimit = plan.concurrency
        var details = JSONObject([("workflow_id", .string(workflow.id)), ("workflow_version", JSON(version))])
        if !trigger.isNull { details["trigger"] = trigger }
        let audit = ActionLog.entry(actor: actor, action: action, entityType: "workflow_run", entityID: runID,
                                    details: .object(details), at: now)
        if let existing = try await insert(run, steps: stepRows, audit: audit, idempotency: idempotency) { return (existing, true) }
        let active = ActiveRun(run: run, plan: plan, steps: states)
        active.reused = Set(reused.keys)
        self.active[runID] = active
        journal.setLastSeq(runID, 0)
        journal.emit(runID, .statusChange, ["entity": "run", "status": "queued", "workflow_id": .string(workflow.id)])
        for step in plan.steps where reused[step.id] != nil {
            journal.emit(runID, .statusChange, step: step.id, ["entity": "step", "step": .string(step.id), "status": "succeeded", "attempt": 1,
                                                                "reused": true, "reused_from": trigger["id"] ?? .null])
        }
        waiting.append(runID)
        pump()
        return (run, false)
    }

    /// Inserts the run, claiming `idempotency`'s key in the same transaction; returns the run the
    /// key already names instead (nothing written), or nil once inserted. The same key naming a
    /// run of another workflow is a `conflict`.
    func insert(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog, idempotency: IdempotencyClaim?) async throws -> WorkflowRun? {
        guard let idempotency else {
            try await store.createRun(run, steps: steps, audit: audit)
            return nil
        }
        var keyed = audit
        var details = audit.details.objectValue ?? JSONObject()
        details["idempotency_key"] = .string(idempotency.key)
        keyed.details = .object(details)
        switch try await store.createRun(run, steps: steps, audit: keyed, idempotency: idempotency) {
        case .created: return nil
        case .existing(let existingID, let existingWorkflow):
            guard existingWorkflow == run.workflowID else {
                throw KernelError.conflict("idempotency key '\(idempotency.key)' already started run \(existingID) of another workflow (\(existingWorkflow))")
            }
            return try await store.run(existingID)
        }
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
        // Items first (a fan-out step settles once its items have), then the steps.
        var children: [EntityID] = []
        for s in Array(run.items.values) + run.orderedSteps {
            switch s.status {
            case .pending, .queued, .retrying:
                s.backoffTimer?.close(); s.backoffTimer = nil
                moveStep(run, s, to: .cancelled, error: "cancelled")
            case .running:
                s.cancellation?.stop(.cancelled)
            case .waiting:
                // A nested workflow's child run is cancelled too (cancel propagates down).
                if let child = s.wait?.childRunID { children.append(child) }
                endWait(run, s, outcome: .cancelled)
                moveStep(run, s, to: .cancelled, error: "cancelled")
            default: break
            }
        }
        for s in run.orderedSteps where s.isFanOutStep && s.status == .running && (s.fanOut?.inFlight ?? 0) == 0 {
            moveStep(run, s, to: .cancelled, error: "cancelled")
        }
        ready.removeAll { $0.0 == id }
        maybeFinish(run)
        for child in children { _ = try? await self.cancel(child) }
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
