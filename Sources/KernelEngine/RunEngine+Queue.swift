import KernelCore
import KernelLoop
import KernelStore

/// The shared queue (several kernels on one PostgreSQL, docs/ARCHITECTURE.md "Scale-out"):
/// submissions are inserted unowned and NOTIFY the kernels; each claims what it has capacity
/// for, in batches, and runs it like a recovered run.
extension RunEngine {
    /// Runs this kernel can still take: its step limit minus the runs it holds.
    var freeRunSlots: Int { configuration.maxConcurrentSteps - active.count }

    /// Shared-queue submission: the run is inserted `queued` and unowned (the insert NOTIFYs
    /// every kernel at commit); whichever kernel has capacity claims it (this one first, if free).
    func enqueue(runID: EntityID, workflow: Workflow, version: Int, plan: WorkflowDefinition, inputs: JSON, pinned: JSONObject,
                 steps: [StepRun], actor: String, trigger: JSON, idempotency: IdempotencyClaim?) async throws -> (run: WorkflowRun, replayed: Bool) {
        let now = Timestamp.now()
        var run = WorkflowRun(id: runID, workflowID: workflow.id, workflowVersion: version, status: .queued,
                              inputs: inputs, pinned: .object(pinned), createdAt: now, owner: nil, leaseExpiresAt: nil, trigger: trigger)
        run.concurrencyLimit = plan.concurrency
        var details = JSONObject([("workflow_id", .string(workflow.id)), ("workflow_version", JSON(version))])
        if !trigger.isNull { details["trigger"] = trigger }
        let audit = ActionLog.entry(actor: actor, action: "workflow.run", entityType: "workflow_run", entityID: runID,
                                    details: .object(details), at: now)
        if let existing = try await insert(run, steps: steps, audit: audit, idempotency: idempotency) { return (existing, true) }
        queueMayHaveWork = true
        queueWakeups &+= 1
        fillFromQueue()
        return (run, false)
    }

    /// A NOTIFY on the queue channel: claim if there is room; `sweepPayload` (a kernel handed
    /// its runs back) also runs a takeover sweep now.
    public func queueNotified(_ payload: String) {
        queueMayHaveWork = true
        queueWakeups &+= 1
        fillFromQueue()
        if payload == SQLStore.sweepPayload { Task { @KernelActor in await self.sweepExpiredRuns() } }
    }

    /// Claims queued runs while this kernel has free capacity and the queue may have some: one
    /// claim transaction per batch (`EngineLimits.maxClaimBatch`). One loop at a time.
    func fillFromQueue() {
        guard let queue, phase == .running, !claiming, queueMayHaveWork, leaseHeld, freeRunSlots > 0 else { return }
        claiming = true
        Task { @KernelActor in
            defer { self.claiming = false }
            while self.phase == .running, self.queueMayHaveWork, self.leaseHeld {
                let want = min(self.freeRunSlots, EngineLimits.maxClaimBatch)
                guard want > 0 else { break }
                let wakeups = self.queueWakeups
                let claimed: [WorkflowRun]
                do {
                    claimed = try await queue.claimQueuedRuns(owner: self.configuration.owner,
                                                              leaseMilliseconds: self.configuration.leaseMilliseconds, limit: want)
                } catch {
                    self.logger.warning("claiming queued runs failed", metadata: ["error": "\(error)"])
                    break
                }
                // Drained, unless a wake-up came in while the claim was in flight.
                if claimed.count < want, wakeups == self.queueWakeups { self.queueMayHaveWork = false }
                for run in claimed {
                    do {
                        try await self.adopt(run, as: .claim)
                        self.claimedCount += 1
                    } catch {
                        self.logger.error("claimed run could not be started", metadata: ["run": "\(run.id)", "error": "\(error)"])
                    }
                }
                self.pump()
            }
        }
    }

    /// A run ended here: this kernel has room again, and a run of a workflow with a
    /// `concurrency` limit frees a slot other kernels may be waiting for.
    func runEnded(_ run: ActiveRun) {
        guard let queue else { return }
        queueMayHaveWork = true
        queueWakeups &+= 1
        if run.plan.concurrency != nil {
            Task { @KernelActor in
                do { try await queue.notifyQueue("") } catch {
                    self.logger.warning("queue NOTIFY failed", metadata: ["error": "\(error)"])
                }
            }
        }
        fillFromQueue()
    }

    /// This kernel's row in `kernels` (every lease/3, and `stopped` at a clean stop).
    func heartbeat(state: KernelRecord.State = .running) async {
        guard let queue else { return }
        let now = Timestamp.now()
        let record = KernelRecord(id: configuration.owner, host: identity.host, version: identity.version, startedAt: startedAt,
                                  heartbeatAt: now, runningSteps: runningSteps, capacity: configuration.maxConcurrentSteps,
                                  activeRuns: active.count, state: state)
        do { try await queue.recordKernel(record) } catch {
            logger.warning("kernel heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    /// A clean stop hands this kernel's work back at once (queued runs unowned, running runs'
    /// leases expired, the other kernels woken) instead of letting the leases run out. Called
    /// by `stop` after the steps returned and the journal is flushed.
    func handBackWork() async {
        guard let queue else { return }
        do {
            let (queued, running) = try await queue.handBackRuns(owner: configuration.owner)
            if queued + running > 0 {
                logger.info("handed runs back to the shared queue", metadata: ["queued": "\(queued)", "running": "\(running)"])
            }
        } catch {
            logger.warning("handing runs back failed (they continue elsewhere when their lease expires)", metadata: ["error": "\(error)"])
        }
        await heartbeat(state: .stopped)
    }
}
