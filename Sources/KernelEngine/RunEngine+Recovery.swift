import KernelCore
import KernelLoop

extension RunEngine {
    /// The message of a step that was running when the kernel died and has no attempts left.
    public static let interruptedMessage = "interrupted by kernel restart"

    /// Picks up the runs this kernel (same home → same owner id) held when it stopped or
    /// crashed: finished steps keep their results, running steps are retried if they have
    /// attempts left (else failed "interrupted by kernel restart"), and the run continues with
    /// contiguous event seqs.
    func recover() async throws {
        let runs = try await store.recoverableRuns(owner: configuration.owner)
        for stored in runs.sorted(by: { $0.createdAt < $1.createdAt }) {
            do { try await recoverRun(stored) } catch {
                logger.error("run recovery failed", metadata: ["run": "\(stored.id)", "error": "\(error)"])
            }
        }
        pump()
    }

    private func recoverRun(_ stored: WorkflowRun) async throws {
        guard var run = try await store.claimRun(id: stored.id, owner: configuration.owner,
                                                 leaseMilliseconds: configuration.leaseMilliseconds) else { return }
        let (_, wv) = try await catalog.workflow(run.workflowID, version: run.workflowVersion)
        let plan = try WorkflowDefinition.parse(wv.definition, lookup: nil)
        let rows = try await store.stepRuns(runID: run.id)
        let lastSeq = try await store.lastEventSeq(runID: run.id)
        journal.setLastSeq(run.id, lastSeq)
        var states: [String: StepState] = [:]
        for step in plan.steps {
            guard let pin = run.pinned[step.id], let cid = pin["component"]?.stringValue, let v = pin["version"]?.intValue else {
                throw KernelError.internal("run \(run.id) has no pinned version for step '\(step.id)'")
            }
            let (_, cv) = try await catalog.component(cid, version: Int(v))
            var attempts = rows.filter { $0.stepID == step.id }.sorted { $0.attempt < $1.attempt }
            if attempts.isEmpty { attempts = [StepRun(runID: run.id, stepID: step.id, componentID: cid, componentVersion: Int(v))] }
            states[step.id] = StepState(definition: step, componentID: cid, componentVersion: Int(v), type: cv.type,
                                        config: cv.config, attempts: attempts)
        }
        let active = ActiveRun(run: run, plan: plan, steps: states)
        self.active[run.id] = active
        journal.emit(run.id, .log, ["stream": "kernel", "line": .string("run recovered by kernel \(configuration.owner) after restart")])
        for s in active.orderedSteps {
            switch s.status {
            case .running:
                let message = RunEngine.interruptedMessage
                if s.current.attempt < s.definition.retries.maxAttempts {
                    journal.emit(run.id, .error, step: s.definition.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
                    failOrRetry(active, s, message: message, timedOut: false)
                } else {
                    journal.emit(run.id, .error, step: s.definition.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
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
        logger.info("run recovered", metadata: ["run": "\(run.id)", "status": "\(run.status.rawValue)", "last_seq": "\(lastSeq)"])
    }
}
