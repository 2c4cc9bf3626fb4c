import KernelCore
import KernelLoop

/// Nested workflows: a `workflow: name@version` step runs that workflow as a child run with its
/// own id. The child's `trigger` names its parent (`{kind: "workflow", run, step, depth}`), the
/// parent step's stored wait and events name the child (`child_run_id`); the step waits (no
/// slot) until the child ends and takes its outputs as its result. Cancelling the parent
/// cancels the child.
extension RunEngine {
    /// A queued workflow step submits its child run and waits for it.
    func startChildRun(_ run: ActiveRun, _ s: StepState, workflow name: String, version: Int?) {
        let inputs: JSON
        do { inputs = try s.definition.resolveInputs(in: run.context) } catch {
            let message = "inputs: " + RunEngine.describe(error)
            moveStep(run, s, to: .failed, error: message)
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        let depth = (run.run.trigger["kind"] == "workflow" ? Int(run.run.trigger["depth"]?.intValue ?? 1) : 0) + 1
        guard depth <= EngineLimits.maxWorkflowNesting else {
            let message = "workflow: nesting deeper than the limit maxWorkflowNesting (\(EngineLimits.maxWorkflowNesting))"
            moveStep(run, s, to: .failed, error: message)
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        let pin = run.run.pinned[s.id]
        let workflowID = pin?["workflow"]?.stringValue ?? name
        let pinnedVersion = pin?["version"]?.intValue.map { Int($0) } ?? version
        let now = Timestamp.now()
        s.wait = RunWait(runID: run.run.id, stepID: s.id, attempt: s.current.attempt, kind: "workflow", inputs: inputs, createdAt: now)
        moveStep(run, s, to: .waiting, payload: ["wait": "workflow", "workflow": .string(workflowID), "inputs": inputs])
        let runID = run.run.id, stepID = s.id, attempt = s.current.attempt
        let trigger: JSON = ["kind": "workflow", "id": .string(runID), "run": .string(runID), "step": .string(stepID), "depth": JSON(depth)]
        Task { @KernelActor in
            do {
                let child = try await self.submit(workflow: workflowID, version: pinnedVersion, inputs: inputs, actor: "run:\(runID)", trigger: trigger)
                guard let run = self.active[runID], let s = run.state(stepID), s.current.attempt == attempt, s.status == .waiting,
                      var wait = s.wait else {
                    // The parent stopped meanwhile: the child goes too.
                    _ = try? await self.cancel(child.id)
                    return
                }
                wait.childRunID = child.id
                s.wait = wait
                self.persistWait(wait)
                self.journal.emit(runID, .log, step: stepID, ["stream": "kernel", "line": .string("child run \(child.id) started"),
                                                              "child_run_id": .string(child.id)])
            } catch {
                guard let run = self.active[runID], let s = run.state(stepID), s.status == .waiting, s.current.attempt == attempt else { return }
                let message = "workflow: " + RunEngine.describe(error)
                self.endWait(run, s, outcome: .cancelled)
                self.journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(attempt)])
                self.moveStep(run, s, to: .failed, error: message)
                self.stepFailedFinally(run, s, message: message, timedOut: false)
                self.pump()
            }
        }
    }

    /// A run ended: when it is a child run, its parent step takes the outcome.
    func childRunFinished(_ child: WorkflowRun) {
        guard child.trigger["kind"] == "workflow", let parentID = child.trigger["run"]?.stringValue,
              let stepID = child.trigger["step"]?.stringValue,
              let run = active[parentID], let s = run.state(stepID), s.status == .waiting else { return }
        if let known = s.wait?.childRunID, known != child.id { return }
        settleChildStep(run, s, childID: child.id, status: child.status, outputs: child.outputs, error: child.error)
        Task { @KernelActor in self.pump() }
    }

    func settleChildStep(_ run: ActiveRun, _ s: StepState, childID: EntityID, status: RunStatus, outputs: JSON, error: String?) {
        endWait(run, s, outcome: .childFinished, payload: ["status": .string(status.rawValue), "outputs": outputs, "error": JSON(error)])
        if status == .succeeded {
            moveStep(run, s, to: .succeeded, result: outputs, payload: ["child_run_id": .string(childID)])
        } else {
            let message = "child run \(childID) \(status.rawValue)" + (error.map { ": \($0)" } ?? "")
            journal.emit(run.run.id, .error, step: s.id, ["message": .string(message), "attempt": JSON(s.current.attempt),
                                                          "child_run_id": .string(childID)])
            moveStep(run, s, to: status == .timedOut ? .timedOut : .failed, error: message, payload: ["child_run_id": .string(childID)])
            stepFailedFinally(run, s, message: message, timedOut: status == .timedOut)
        }
    }
}
