import KernelCore
import KernelLoop

/// `wait` steps: a durable timer (`for`, `until`) or a signal (`run.signal`, with a payload
/// schema and a timeout). A waiting step holds no process and no step slot; its wait is stored
/// (`run_waits`) and re-armed after a restart, and the wake time is recorded next to the due time.
extension RunEngine {
    /// A queued wait step starts waiting.
    func startWait(_ run: ActiveRun, _ s: StepState) {
        guard let spec = s.definition.wait else { return }
        let inputs: JSON
        do { inputs = try s.definition.resolveInputs(in: run.context) } catch {
            let message = "inputs: " + RunEngine.describe(error)
            moveStep(run, s, to: .failed, error: message)
            journal.emit(run.run.id, .error, step: s.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        let now = Timestamp.now()
        let wait = RunWait(runID: run.run.id, stepID: s.id, attempt: s.current.attempt, kind: spec.kindName,
                           dueAt: spec.dueAt(startingAt: now), signal: spec.signalName, inputs: inputs, createdAt: now)
        s.wait = wait
        var p = JSONObject()
        p["wait"] = .string(spec.kindName)
        p["inputs"] = inputs
        if let due = wait.dueAt { p["due_at"] = due.json }
        if let signal = wait.signal { p["signal"] = .string(signal) }
        if let schema = spec.schemaJSON { p["schema"] = schema }
        moveStep(run, s, to: .waiting, payload: .object(p))
        persistWait(wait)
        armWait(run, s)
    }

    /// Stores a wait (off the loop); a failure is logged, and recovery rebuilds a missing wait
    /// from the step's definition and start time.
    func persistWait(_ wait: RunWait) {
        let owner = configuration.owner
        Task { @KernelActor in
            do { try await self.store.saveRunWait(wait, owner: owner) } catch {
                self.logger.warning("cannot store a step's wait", metadata: ["run": "\(wait.runID)", "step": "\(wait.stepID)", "error": "\(error)"])
            }
        }
    }

    /// Arms the timer of a waiting step whose wait has a due time (at once when it is past).
    func armWait(_ run: ActiveRun, _ s: StepState) {
        guard let wait = s.wait, let due = wait.dueAt else { return }
        let delay = UInt64(max(0, due.milliseconds - Timestamp.now().milliseconds))
        let runID = run.run.id, stepID = s.id, attempt = wait.attempt
        s.waitTimer?.close()
        s.waitTimer = try? Timer.after(loop: KernelRuntime.loop, ms: delay) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self, let run = self.active[runID], let s = run.state(stepID) else { return }
                s.waitTimer = nil
                self.waitDue(run, s, attempt: attempt)
                self.pump()
            }
        }
    }

    /// A wait's due time came: a timer wakes the step; a signal wait times out.
    func waitDue(_ run: ActiveRun, _ s: StepState, attempt: Int) {
        guard s.status == .waiting, s.current.attempt == attempt, let wait = s.wait else { return }
        // The loop's timer clock can run a little ahead of the wall clock the due time is in.
        if let due = wait.dueAt, Timestamp.now() < due {
            armWait(run, s)
            return
        }
        if let signal = wait.signal {
            let message = "signal '\(signal)' not received within \(formatSeconds(s.definition.wait?.timeoutSeconds ?? 0))s"
            endWait(run, s, outcome: .timedOut)
            journal.emit(run.run.id, .error, step: s.id, ["message": .string(message), "attempt": JSON(attempt), "timed_out": true])
            moveStep(run, s, to: .timedOut, error: message)
            stepFailedFinally(run, s, message: message, timedOut: true)
            return
        }
        let woke = endWait(run, s, outcome: .woke)
        let result: JSON = ["waited": .string(wait.kind), "due_at": wait.dueAt?.json ?? .null, "woke_at": woke.json,
                            "late_ms": .int(woke.milliseconds - (wait.dueAt?.milliseconds ?? woke.milliseconds))]
        moveStep(run, s, to: .succeeded, result: result)
    }

    /// Ends a step's wait: the timer is closed and the stored wait records when and how.
    @discardableResult
    func endWait(_ run: ActiveRun, _ s: StepState, outcome: RunWait.Outcome, payload: JSON = .null) -> Timestamp {
        s.waitTimer?.close(); s.waitTimer = nil
        let now = Timestamp.now()
        guard var wait = s.wait, wait.outcome == .open else { return now }
        wait.resolvedAt = now
        wait.outcome = outcome
        wait.payload = payload
        s.wait = wait
        persistWait(wait)
        return now
    }

    /// `run.signal {id, name, payload?}`: resumes the step of the run waiting for signal `name`;
    /// its result is `{signal, payload, actor, at}`. The payload is checked against the wait's schema.
    public func signal(_ id: EntityID, name: String, payload: JSON, actor: String) async throws -> JSON {
        guard let run = active[id] else {
            let stored = try await store.run(id)
            if stored.status.isTerminal { throw KernelError.conflict("run \(id) has finished (\(stored.status.rawValue)): nothing waits for signal '\(name)'") }
            throw KernelError.conflict("run \(id) is held by another kernel (\(stored.owner ?? "unknown"))")
        }
        let waitingFor = run.orderedSteps.filter { $0.status == .waiting && $0.wait?.signal != nil }
        guard let s = waitingFor.first(where: { $0.wait?.signal == name }) else {
            let names = waitingFor.compactMap { $0.wait?.signal }
            throw KernelError.conflict("run \(id) has no step waiting for signal '\(name)'"
                                       + (names.isEmpty ? "" : " (waiting: \(names.joined(separator: ", ")))"))
        }
        if let schema = s.definition.wait?.schema {
            let errors = schema.validate(payload, path: "payload")
            guard errors.isEmpty else { throw KernelError.invalidParams("the signal's payload does not match the wait's schema", errors: errors) }
        }
        let at = endWait(run, s, outcome: .signalled, payload: payload)
        moveStep(run, s, to: .succeeded, result: ["signal": .string(name), "payload": payload, "actor": .string(actor), "at": at.json],
                 payload: ["signal": .string(name), "actor": .string(actor)])
        pump()
        return ["id": .string(id), "step": .string(s.id), "signal": .string(name), "status": "succeeded"]
    }

    /// After a restart: re-arms a waiting step from its stored wait (or, when the wait was not
    /// stored before the crash, from its definition and start time).
    func resumeWait(_ run: ActiveRun, _ s: StepState, stored: RunWait?) {
        if case .workflow = s.definition.kind {
            s.wait = stored
            return
        }
        guard let spec = s.definition.wait else { return }
        let start = s.current.startedAt ?? .now()
        let wait = stored ?? RunWait(runID: run.run.id, stepID: s.id, attempt: s.current.attempt, kind: spec.kindName,
                                     dueAt: spec.dueAt(startingAt: start), signal: spec.signalName, createdAt: start)
        s.wait = wait
        if stored == nil { persistWait(wait) }
        armWait(run, s)
    }
}
