import KernelCore
import KernelLoop

/// `run.rerun` (a new run of the same pinned versions, reusing what succeeded upstream of
/// `from`) and `run.retry` (one failed step of a finished-failed run again, in place).
extension RunEngine {
    /// `run.rerun {id, from?, inputs?}`: a new run of the source run's workflow version with the
    /// same pinned component versions. Steps that succeeded in the source are reused (status
    /// `succeeded`, marked `reused`): all of them without `from`, else those upstream of `from`
    /// (its ancestors). `inputs` replaces the source's inputs when given.
    public func rerun(_ sourceID: EntityID, from: String?, inputs: JSON?, actor: String) async throws -> WorkflowRun {
        guard phase == .running else { throw KernelError.unavailable("the run engine is not running") }
        let source = try await store.run(sourceID)
        guard source.status.isTerminal else {
            throw KernelError.conflict("run \(sourceID) is still \(source.status.rawValue): rerun it once it has finished (or cancel it)")
        }
        let (workflow, wv) = try await catalog.workflow(source.workflowID, version: source.workflowVersion)
        let plan = try WorkflowDefinition.parse(wv.definition, lookup: nil)
        if let from, plan.step(from) == nil {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("from", "unknown step '\(from)' (steps: \(plan.steps.map(\.id).joined(separator: ", ")))")])
        }
        let runInputs = try plan.validateRunInputs(inputs ?? source.inputs)
        var last: [String: StepRun] = [:]
        for r in try await store.stepRuns(runID: sourceID) where plan.step(r.stepID) != nil {
            if let known = last[r.stepID], known.attempt > r.attempt { continue }
            last[r.stepID] = r
        }
        let upstream = from.map { plan.ancestors(of: $0) } ?? Set(plan.steps.map(\.id))
        var reused: [String: StepRun] = [:]
        for step in plan.steps where upstream.contains(step.id) {
            guard var row = last[step.id], row.status.isSuccess else { continue }
            row.error = nil
            reused[step.id] = row
        }
        var trigger = JSONObject()
        trigger["kind"] = "rerun"
        trigger["id"] = .string(sourceID)
        trigger["from"] = JSON(from)
        trigger["reused"] = .array(plan.steps.map(\.id).filter { reused[$0] != nil }.map(JSON.string))
        return try await startRun(workflow: workflow, version: source.workflowVersion, plan: plan, inputs: runInputs,
                                  pinned: source.pinned.objectValue ?? JSONObject(), reused: reused, trigger: .object(trigger),
                                  actor: actor, action: "run.rerun").run
    }

    /// `run.retry {id, step}`: the failed (or timed-out) `step` of a run that ended failed gets a
    /// new attempt; steps that were not started because of the failure become pending again,
    /// and the run reopens (`running`) on this kernel. The caller audits it.
    public func retry(_ id: EntityID, step stepID: String) async throws -> WorkflowRun {
        guard phase == .running else { throw KernelError.unavailable("the run engine is not running") }
        if let held = active[id] { throw KernelError.conflict("run \(id) is still \(held.run.status.rawValue): run.retry retries a step of a finished run") }
        let stored = try await store.run(id)
        guard stored.status.canReopen else {
            throw KernelError.conflict("run \(id) is \(stored.status.rawValue): run.retry retries a step of a run that ended failed or timed out")
        }
        let (_, wv) = try await catalog.workflow(stored.workflowID, version: stored.workflowVersion)
        let plan = try WorkflowDefinition.parse(wv.definition, lookup: nil)
        guard let target = plan.step(stepID) else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("step", "unknown step '\(stepID)' (steps: \(plan.steps.map(\.id).joined(separator: ", ")))")])
        }
        let rows = try await store.stepRuns(runID: id)
        var byStep: [String: [StepRun]] = [:]
        for r in rows where plan.step(r.stepID) != nil { byStep[r.stepID, default: []].append(r) }
        let targetRows = (byStep[target.id] ?? []).sorted { $0.attempt < $1.attempt }
        guard let lastRow = targetRows.last, lastRow.status == .failed || lastRow.status == .timedOut else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("step", "step '\(stepID)' did not fail (status \(targetRows.last?.status.rawValue ?? "none"))")])
        }
        guard var run = try await store.claimRun(id: id, owner: configuration.owner, leaseMilliseconds: configuration.leaseMilliseconds) else {
            throw KernelError.conflict("run \(id) is held by another kernel")
        }
        let lastSeq = try await store.lastEventSeq(runID: id)
        var states: [String: StepState] = [:]
        var reopened: [StepRun] = []
        for step in plan.steps {
            var attempts = (byStep[step.id] ?? []).sorted { $0.attempt < $1.attempt }
            if let l = attempts.last {
                if step.id == target.id {
                    attempts.append(StepRun(runID: id, stepID: step.id, attempt: l.attempt + 1, status: .queued,
                                            componentID: l.componentID, componentVersion: l.componentVersion))
                    reopened.append(attempts[attempts.count - 1])
                } else if l.status == .cancelled {
                    // Not started because of the failure: pending again.
                    attempts.append(StepRun(runID: id, stepID: step.id, attempt: l.attempt + 1, status: .pending,
                                            componentID: l.componentID, componentVersion: l.componentVersion))
                    reopened.append(attempts[attempts.count - 1])
                }
            }
            states[step.id] = try await stepState(step, pinned: run.pinned, runID: id, attempts: attempts)
        }
        guard active[id] == nil else { throw KernelError.conflict("run \(id) was reopened meanwhile") }
        run.status = .running
        run.error = nil
        run.finishedAt = nil
        run.outputs = .null
        journal.setLastSeq(id, lastSeq)
        let held = ActiveRun(run: run, plan: plan, steps: states)
        active[id] = held
        journal.save(run)
        journal.emit(id, .statusChange, ["entity": "run", "status": "running", "retry": .string(stepID)])
        for r in reopened {
            journal.save(r)
            journal.emit(id, .statusChange, step: r.stepID, ["entity": "step", "step": .string(r.stepID), "status": .string(r.status.rawValue),
                                                             "attempt": JSON(r.attempt), "retry": true])
        }
        // Other failed steps (with continueOnError) stay as they were; a failed one without
        // it (another branch) keeps the run failing.
        for s in held.orderedSteps where s.id != stepID && (s.status == .failed || s.status == .timedOut) && !s.definition.continueOnError {
            held.stopping = .failed(step: s.id, message: s.current.error ?? "failed", timedOut: s.status == .timedOut)
        }
        ready.append((id, stepID))
        let reopenedRun = held.run
        pump()
        return reopenedRun
    }
}
