import KernelCore
import KernelLoop

extension RunEngine {
    /// The message of a step that was running when the kernel died and has no attempts left.
    public static let interruptedMessage = "interrupted by kernel restart"

    /// The message of a step that was running on a kernel whose lease expired (taken over).
    public static func takeoverMessage(previousOwner: String) -> String {
        "interrupted: kernel \(previousOwner) lost its lease"
    }

    /// How a run this engine did not start came to it.
    enum Adoption: Equatable {
        /// This kernel (same home → same owner id) held it before a restart or crash.
        case restart
        /// Another kernel held it and its lease expired.
        case takeover(previousOwner: String)
        /// Claimed from the shared queue (nobody held it, or a queued run's lease expired).
        case claim
    }

    /// Picks up the runs this kernel (same home → same owner id) held when it stopped or
    /// crashed: finished steps keep their results, running steps are retried if they have
    /// attempts left (else failed "interrupted by kernel restart"), and the run continues with
    /// contiguous event seqs.
    func recover() async throws {
        let runs = try await store.recoverableRuns(owner: configuration.owner)
        for stored in runs.sorted(by: { $0.createdAt < $1.createdAt }) {
            do {
                guard let run = try await store.claimRun(id: stored.id, owner: configuration.owner,
                                                         leaseMilliseconds: configuration.leaseMilliseconds) else { continue }
                try await adopt(run, as: .restart)
            } catch {
                logger.error("run recovery failed", metadata: ["run": "\(stored.id)", "error": "\(error)"])
            }
        }
        pump()
    }

    /// One takeover sweep: unfinished runs of OTHER kernels whose lease expired are claimed
    /// (one atomic UPDATE per run; of several sweeping kernels exactly one wins, with the
    /// `run.takeover` audit entry in the same transaction) and recovered like after a restart.
    /// Skipped while this kernel's own lease may have lapsed (it cannot tell a dead peer
    /// from its own lost connection).
    func sweepExpiredRuns() async {
        guard phase == .running, !sweeping, leaseHeld else { return }
        sweeping = true
        defer { sweeping = false }
        let me = configuration.owner
        let candidates: [WorkflowRun]
        do { candidates = try await store.expiredRuns(excludingOwner: me, limit: EngineLimits.maxTakeoversPerSweep) } catch {
            logger.warning("takeover sweep failed", metadata: ["error": "\(error)"])
            return
        }
        for stored in candidates {
            // Never take over a run this engine holds (nor one of our own id: recovery's job).
            guard phase == .running, active[stored.id] == nil, let previous = stored.owner, previous != me else { continue }
            let audit = ActionLog.entry(actor: me, action: "run.takeover", entityType: "workflow_run", entityID: stored.id,
                                        details: ["previous_owner": .string(previous), "owner": .string(me),
                                            "lease_expired_at": stored.leaseExpiresAt?.json ?? .null, "status": .string(stored.status.rawValue)])
            do {
                guard let run = try await store.takeOverRun(id: stored.id, from: previous, owner: me,
                                                            leaseMilliseconds: configuration.leaseMilliseconds, audit: audit) else { continue }
                takeoverCount += 1
                try await adopt(run, as: .takeover(previousOwner: previous))
            } catch {
                logger.error("run takeover failed", metadata: ["run": "\(stored.id)", "previous_owner": "\(previous)", "error": "\(error)"])
            }
        }
        pump()
    }

    /// Rebuilds a claimed run's state from the store and continues it: finished steps keep
    /// their results, steps that were running are retried if attempts remain (else failed),
    /// queued/retrying steps are queued again. Steps start through `pump` (kernel-wide limit).
    /// A workflow version's parsed definition, parsed once per (workflow, version): both are
    /// immutable, so every submission and claim of it shares the parse (`planCache`).
    func parsedPlan(workflowID: EntityID, _ wv: WorkflowVersion) throws -> WorkflowDefinition {
        let key = "\(workflowID)@\(wv.version)"
        if let known = planCache[key] { return known }
        let plan = try WorkflowDefinition.parse(wv.definition, lookup: nil)
        if planCache.count >= EngineLimits.maxCachedVersions { planCache.removeAll() }
        planCache[key] = plan
        return plan
    }

    func adopt(_ claimed: WorkflowRun, as adoption: Adoption) async throws {
        var run = claimed
        let plan: WorkflowDefinition
        if let known = planCache["\(run.workflowID)@\(run.workflowVersion)"] {
            plan = known
        } else {
            let (_, wv) = try await catalog.workflow(run.workflowID, version: run.workflowVersion)
            plan = try parsedPlan(workflowID: run.workflowID, wv)
        }
        let rows = try await store.stepRuns(runID: run.id)
        let lastSeq = try await store.lastEventSeq(runID: run.id)
        var byStep: [String: [StepRun]] = [:]
        var itemRows: [String: [Int: [StepRun]]] = [:]
        for r in rows {
            if plan.step(r.stepID) == nil, let (step, i) = StepState.parseItemID(r.stepID) {
                itemRows[step, default: [:]][i, default: []].append(r)
            } else {
                byStep[r.stepID, default: []].append(r)
            }
        }
        var states: [String: StepState] = [:]
        for step in plan.steps {
            let attempts = (byStep[step.id] ?? []).sorted { $0.attempt < $1.attempt }
            states[step.id] = try await stepState(step, pinned: run.pinned, runID: run.id, attempts: attempts)
        }
        for (k, v) in itemRows { itemRows[k] = v.mapValues { $0.sorted { $0.attempt < $1.attempt } } }
        // Waiting steps: their stored waits, and for a nested workflow the child run's state.
        var waits: [String: RunWait] = [:]
        var children: [EntityID: WorkflowRun] = [:]
        if states.values.contains(where: { $0.status == .waiting }) {
            for w in try await store.runWaits(runID: run.id) { waits["\(w.stepID)/\(w.attempt)"] = w }
            for w in waits.values where w.outcome == .open {
                if let c = w.childRunID, let child = try? await store.run(c) { children[c] = child }
            }
        }
        // Nothing suspends from here on: the run is registered and its events seq'd atomically.
        guard active[run.id] == nil else { return }
        journal.setLastSeq(run.id, lastSeq)
        let active = ActiveRun(run: run, plan: plan, steps: states)
        self.active[run.id] = active
        let message: String
        switch adoption {
        case .restart:
            message = RunEngine.interruptedMessage
            journal.emit(run.id, .log, ["stream": "kernel", "line": .string("run recovered by kernel \(configuration.owner) after restart")])
        case .claim:
            message = RunEngine.takeoverMessage(previousOwner: claimed.owner ?? "none")
            // Its first event is written by the kernel that claimed it (fenced by owner), so no
            // two kernels ever race for a run's seq 1.
            if lastSeq == 0 {
                journal.emit(run.id, .statusChange, ["entity": "run", "status": "queued", "workflow_id": .string(run.workflowID)])
            }
        case .takeover(let previous):
            message = RunEngine.takeoverMessage(previousOwner: previous)
            journal.emit(run.id, .log, ["stream": "kernel",
                                        "line": .string("run taken over by kernel \(configuration.owner) from kernel \(previous) (lease expired)"),
                                        "previous_owner": .string(previous), "owner": .string(configuration.owner)])
        }
        for s in active.orderedSteps {
            switch s.status {
            case .running where s.isFanOutStep:
                resumeFanOut(active, s, rows: itemRows[s.id] ?? [:], message: message)
            case .running:
                journal.emit(run.id, .error, step: s.definition.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
                if s.current.attempt < s.definition.retries.maxAttempts {
                    failOrRetry(active, s, message: message, timedOut: false)
                } else {
                    moveStep(active, s, to: .failed, error: message)
                    stepFailedFinally(active, s, message: message, timedOut: false)
                }
            case .waiting:
                let stored = waits["\(s.id)/\(s.current.attempt)"]
                resumeWait(active, s, stored: stored)
                if let c = stored?.childRunID, let child = children[c], child.status.isTerminal {
                    settleChildStep(active, s, childID: c, status: child.status, outputs: child.outputs, error: child.error)
                } else if case .workflow = s.definition.kind, stored?.childRunID == nil {
                    // The child was never recorded: start the step over.
                    endWait(active, s, outcome: .cancelled)
                    journal.emit(run.id, .error, step: s.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
                    moveStep(active, s, to: .failed, error: message)
                    stepFailedFinally(active, s, message: message, timedOut: false)
                }
            case .queued:
                ready.append((run.id, s.definition.id))
            case .retrying:
                if moveStep(active, s, to: .queued) { ready.append((run.id, s.definition.id)) }
            case .failed, .timedOut:
                if !s.definition.continueOnError, active.stopping == .none {
                    active.stopping = .failed(step: s.definition.id, message: s.current.error ?? "failed", timedOut: s.status == .timedOut)
                }
            default: break
            }
        }
        if run.status == .queued {
            waiting.append(run.id)
        } else {
            run = active.run
        }
        if adoption != .claim {
            logger.info(adoption == .restart ? "run recovered" : "run taken over",
                        metadata: ["run": "\(run.id)", "status": "\(run.status.rawValue)", "last_seq": "\(lastSeq)"])
        }
    }

    /// After this kernel's lease lapsed (renewals failing) and renewals work again: runs another
    /// kernel took over meanwhile are dropped here (their steps stopped, nothing more written).
    func dropLostRuns() async {
        for (id, run) in active {
            guard let stored = try? await store.run(id), let owner = stored.owner, owner != configuration.owner else { continue }
            guard self.active[id] === run else { continue }
            logger.error("run lost to another kernel while this kernel's lease lapsed; dropping it",
                         metadata: ["run": "\(id)", "owner": "\(owner)"])
            for s in Array(run.steps.values) + Array(run.items.values) {
                s.backoffTimer?.close(); s.backoffTimer = nil
                s.waitTimer?.close(); s.waitTimer = nil
                s.timeoutTimer?.close(); s.timeoutTimer = nil
                s.cancellation?.stop(.shutdown)
            }
            ready.removeAll { $0.0 == id }
            waiting.removeAll { $0 == id }
            journal.forget(id)
            self.active[id] = nil
            if let ws = idleWaiters.removeValue(forKey: id) { for w in ws { w.resume() } }
        }
    }
}
