import Glibc
import KernelCore
import KernelLoop
import KernelSandbox

extension RunEngine {
    /// Starts whatever can start: waiting runs with a free workflow slot, steps whose needs are
    /// done, then ready steps up to the kernel-wide limit. Synchronous; called after any change.
    func pump() {
        // Draining: results still advance runs (a run whose last step ends finishes), but no
        // queued run starts and no step is dispatched.
        guard phase == .running || phase == .draining else { return }
        // 1. queued runs, in order, within their workflow's concurrency.
        var started: [EntityID] = []
        for id in waiting where phase == .running {
            guard let run = active[id] else { started.append(id); continue }
            if let limit = run.plan.concurrency {
                let busy = active.values.filter { $0.run.workflowID == run.run.workflowID && $0.run.status == .running }.count
                if busy >= limit { continue }
            }
            started.append(id)
            run.run.status = .running
            run.run.startedAt = .now()
            journal.save(run.run)
            journal.emit(id, .statusChange, ["entity": "run", "status": "running"])
        }
        if !started.isEmpty { waiting.removeAll { started.contains($0) } }
        // 2. steps whose needs are settled.
        for run in active.values where run.run.status == .running && run.stopping == .none {
            advance(run)
        }
        // 3. dispatch, unless this kernel's leases may have expired (another kernel may be
        // taking its runs over): ready steps wait for the next successful renewal.
        let mayStart = leaseHeld
        if !mayStart, !ready.isEmpty, !leaseLapsed {
            leaseLapsed = true
            logger.error("this kernel's run leases may have expired: no new steps start until a renewal succeeds")
        }
        while mayStart, phase == .running, runningSteps < configuration.maxConcurrentSteps, let (runID, stepID) = ready.popFirst() {
            guard let run = active[runID], let step = run.state(stepID), step.status == .queued, run.stopping == .none else { continue }
            startAttempt(run, step)
        }
        for run in Array(active.values) { maybeFinish(run) }
    }

    /// Queues or skips the pending steps of a run whose needs are settled. Only candidates are
    /// looked at (steps a need of which settled since the last look), so a pump costs O(changes),
    /// not O(steps).
    func advance(_ run: ActiveRun) {
        // A step skipped here makes its dependants candidates at once: look again until none is left.
        while case let picked = run.takeCandidates(), !picked.isEmpty {
            advance(run, picked)
        }
    }

    private func advance(_ run: ActiveRun, _ picked: [StepState]) {
        for s in picked where s.status == .pending {
            var settled = true
            var skip: String?
            for n in s.definition.needs {
                guard let dep = run.steps[n] else { continue }
                switch dep.status {
                case .succeeded, .cached: continue
                case .skipped: skip = skip ?? "dependency '\(n)' was skipped"
                case .failed, .timedOut:
                    if dep.definition.continueOnError { continue }
                    settled = false
                case .cancelled: settled = false
                default: settled = false
                }
            }
            if let skip {
                // A skipped need skips the dependant even while other needs run: it can never run.
                moveStep(run, s, to: .skipped, error: nil, payload: ["reason": .string(skip)])
                continue
            }
            guard settled else { continue }
            // A forEach step's `when` is per item (it sees ${item}).
            if let when = s.definition.when, !s.isFanOutStep {
                let text = s.definition.whenSource ?? "when"
                do {
                    if try !when.evaluate(in: run.context) {
                        moveStep(run, s, to: .skipped, error: nil, payload: ["reason": .string("when '\(text)' is false")])
                        continue
                    }
                } catch {
                    var message = "when '\(text)': \(RunEngine.describe(error))"
                    if let digest = RunEngine.neededBlob(error) {
                        switch needBlob(run, digest) {
                        case .loading: continue
                        case .failed(let why): message = "when '\(text)': \(why)"
                        }
                    }
                    moveStep(run, s, to: .failed, error: message)
                    journal.emit(run.run.id, .error, step: s.definition.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
                    stepFailedFinally(run, s, message: message, timedOut: false)
                    continue
                }
            }
            moveStep(run, s, to: .queued)
            ready.append((run.run.id, s.definition.id))
        }
    }

    /// The one place a step changes status: checks the state machine, stamps times,
    /// journals the row and a `status_change` event.
    @discardableResult
    func moveStep(_ run: ActiveRun, _ s: StepState, to next: StepStatus, error: String? = nil,
                  result: JSON? = nil, payload extra: JSON = [:]) -> Bool {
        let from = s.status
        guard from.canMove(to: next) else {
            logger.error("illegal step transition refused", metadata: [
                "run": "\(run.run.id)", "step": "\(s.id)", "from": "\(from.rawValue)", "to": "\(next.rawValue)"])
            return false
        }
        var row = s.current
        row.status = next
        let now = Timestamp.now()
        if next == .running || next == .waiting { row.startedAt = now }
        if next.isTerminal { row.finishedAt = now }
        if let error { row.error = error }
        if let result { row.result = result }
        s.current = row
        journal.save(row)
        var p = JSONObject()
        p["entity"] = "step"
        p["step"] = .string(s.id)
        p["status"] = .string(next.rawValue)
        p["attempt"] = JSON(row.attempt)
        if let error { p["error"] = .string(error) }
        for (k, v) in extra.objectValue ?? JSONObject() { p[k] = v }
        journal.emit(run.run.id, .statusChange, step: s.id, .object(p))
        if next.isTerminal, let parent = s.parent { itemSettled(run, parent, s) }
        return true
    }

    /// Starts the current attempt of a queued step.
    func startAttempt(_ run: ActiveRun, _ s: StepState) {
        let dispatchStart = MonotonicClock.milliseconds()
        let runID = run.run.id
        let stepID = s.id
        if s.isFanOutStep { startFanOut(run, s); return }
        switch s.definition.kind {
        case .wait: startWait(run, s); return
        case .workflow(let name, let version): startChildRun(run, s, workflow: name, version: version); return
        case .component: break
        }
        if let parent = s.parent, let fan = parent.fanOut, let failure = fan.failure {
            moveStep(run, s, to: .cancelled, error: "not started: item \(failure.index) failed")
            return
        }
        let refs = s.definition.references
        let variableNames = refs.compactMap(\.variableName), secretNames = refs.compactMap(\.secretName)
        if s.workspaceValues == nil, !variableNames.isEmpty || !secretNames.isEmpty {
            holdingSlot(run, s, failure: "inputs: cannot read workspace variables or secrets: ", {
                try await self.catalog.workspaceValues(variables: variableNames, secrets: secretNames)
            }) { run, s, loaded in
                s.workspaceValues = loaded
                self.startAttempt(run, s)
            }
            return
        }
        var context = run.context
        if let loaded = s.workspaceValues {
            context.variables = loaded.variables
            context.secrets = loaded.secrets
            s.redactor = SecretRedactor(secretNames.compactMap { loaded.secrets[$0] })
            s.workspaceValues = nil
        } else {
            s.redactor = SecretRedactor([])
        }
        let inputs: JSON
        do { inputs = try s.definition.resolveInputs(in: s.parent == nil ? context : context.forItem(s.item, index: s.itemIndex)) } catch {
            var message = "inputs: " + RunEngine.describe(error)
            if let digest = RunEngine.neededBlob(error) {
                switch needBlob(run, digest, requeue: stepID) {
                case .loading: return
                case .failed(let why): message = "inputs: " + why
                }
            }
            moveStep(run, s, to: .failed, error: message)
            journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(s.current.attempt)])
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        if let values, inputs.serializedSizeExceeds(ValueLimits.inlineBytes) {
            // Large inputs (a path into a stored value, big run inputs) travel by reference too.
            // With secrets in them only the masked copy is stored (it is what the `running`
            // event records); the step gets the real inputs from memory.
            if !s.redactor.isEmpty {
                let masked = s.redactor.redact(inputs)
                holdingSlot(run, s, failure: "inputs: ", { try await values.spool(masked, limit: .max) }) { run, s, recorded in
                    self.launch(run, s, inputs: inputs, recorded: recorded, dispatchStart: dispatchStart)
                }
                return
            }
            holdingSlot(run, s, failure: "inputs: ", { try await values.spool(inputs, limit: .max) }) { run, s, spooled in
                self.launch(run, s, inputs: spooled, dispatchStart: dispatchStart)
            }
            return
        }
        launch(run, s, inputs: inputs, dispatchStart: dispatchStart)
    }

    /// Runs `work` off the loop while the queued step holds a slot, then `next` with its value
    /// if the same attempt is still queued; a failure fails the step (`failure` + the reason).
    func holdingSlot<T: Sendable>(_ run: ActiveRun, _ s: StepState, failure: String, _ work: @escaping @KernelActor () async throws -> T,
                                  next: @escaping @KernelActor (ActiveRun, StepState, T) -> Void) {
        let runID = run.run.id, stepID = s.id, attempt = s.current.attempt
        runningSteps += 1
        Task { @KernelActor in
            let outcome: Result<T, Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            self.runningSteps -= 1
            guard let run = self.active[runID], let s = run.state(stepID), s.status == .queued, s.current.attempt == attempt else {
                self.pump()
                return
            }
            switch outcome {
            case .success(let v): next(run, s, v)
            case .failure(let e):
                let message = failure + RunEngine.describe(e)
                self.moveStep(run, s, to: .failed, error: message)
                self.stepFailedFinally(run, s, message: message, timedOut: false)
            }
            self.pump()
        }
    }

    /// Starts the executor of a queued step whose inputs are resolved; `recorded` is what its
    /// `running` event stores (default: `inputs` with the step's secrets masked).
    func launch(_ run: ActiveRun, _ s: StepState, inputs: JSON, recorded: JSON? = nil, dispatchStart: Double) {
        let runID = run.run.id
        let stepID = s.id
        guard let type = s.type, let executor = executors.executor(for: type) else {
            let message = "no executor for component type '\(s.type?.rawValue ?? "none")'"
            moveStep(run, s, to: .failed, error: message)
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        let attempt = s.current.attempt
        let workDir = WorkDirectory.attempt(home: configuration.home, runID: runID, stepID: stepID, attempt: attempt)
        let artifactDir = "\(configuration.home)/artifacts/\(runID)"
        if !run.artifactDirectoryReady {
            do {
                try RunEngine.makeDirectories(artifactDir)
                run.artifactDirectoryReady = true
            } catch {
                let message = "cannot prepare the artifact directory: \(error)"
                moveStep(run, s, to: .failed, error: message)
                stepFailedFinally(run, s, message: message, timedOut: false)
                return
            }
        }
        let referenced = ArtifactNames.referenced(in: inputs)
        if referenced.count > ArtifactNames.maxStagedArtifacts {
            let message = "inputs reference \(referenced.count) artifacts; at most \(ArtifactNames.maxStagedArtifacts) (ArtifactNames.maxStagedArtifacts) are staged"
            moveStep(run, s, to: .failed, error: message)
            stepFailedFinally(run, s, message: message, timedOut: false)
            return
        }
        if let policy = s.definition.cache, s.parent == nil, let cache = stepCache, !s.cacheChecked {
            let key = StepCacheKey.make(componentID: s.componentID, componentVersion: s.componentVersion, inputs: inputs, key: policy.key)
            s.cacheKey = key
            holdingSlot(run, s, failure: "cache: ", { await self.cacheLookup(cache, key) }) { run, s, hit in
                if let hit {
                    self.useCached(run, s, hit, backend: cache.backend)
                } else {
                    s.cacheChecked = true
                    self.launch(run, s, inputs: inputs, recorded: recorded, dispatchStart: dispatchStart)
                }
            }
            return
        }
        s.cacheChecked = false
        moveStep(run, s, to: .running, payload: ["inputs": recorded ?? s.redactor.redact(inputs)])
        runningSteps += 1
        let cancellation = StepCancellation()
        s.cancellation = cancellation
        if let t = s.definition.timeoutSeconds {
            s.timeoutTimer = try? Timer.after(loop: KernelRuntime.loop, ms: UInt64(t * 1000)) { [weak cancellation] in
                KernelActor.assumeIsolated { cancellation?.stop(.timedOut) }
            }
        }
        let sink = StepEvents(journal: journal, runID: runID, stepID: stepID, redactor: s.redactor)
        var invocation = StepInvocation(runID: runID, stepID: stepID, attempt: attempt, componentID: s.componentID,
                                        componentVersion: s.componentVersion, type: type, config: s.config,
                                        inputs: inputs, workDirectory: workDir, artifactDirectory: artifactDir)
        for name in referenced { invocation.stagedFiles[ArtifactNames.stagedDirectory + "/" + name] = artifactDir + "/" + name }
        // The sandbox's own wall clock sits just past the engine's timer, as a backstop.
        invocation.timeoutMilliseconds = s.definition.timeoutSeconds.map { UInt64($0 * 1000) + EngineLimits.terminateGraceMilliseconds * 2 }
        let execStart = MonotonicClock.milliseconds()
        timings.dispatchMs += execStart - dispatchStart
        let limit = resultLimit(s), redactor = s.redactor
        Task { @KernelActor in
            var invocation = invocation
            var outcome: AttemptOutcome
            do {
                invocation.inputsFile = try await self.writeInputsFile(inputs, workDirectory: workDir)
                outcome = await executor.run(invocation, events: sink, cancellation: cancellation)
            } catch {
                outcome = .failed("inputs: " + RunEngine.describe(error))
            }
            if let file = invocation.inputsFile { unlink(file) }
            outcome = await self.settle(outcome, limit: limit, redactor: redactor)
            let execEnd = MonotonicClock.milliseconds()
            self.timings.executionMs += execEnd - execStart
            sink.close()
            self.attemptFinished(runID: runID, stepID: stepID, attempt: attempt, outcome: outcome, reason: cancellation.reason)
            self.timings.transitionMs += MonotonicClock.milliseconds() - execEnd
            self.timings.attempts += 1
        }
    }

    /// An executor returned.
    func attemptFinished(runID: EntityID, stepID: String, attempt: Int, outcome: AttemptOutcome, reason: StopReason?) {
        runningSteps -= 1
        guard let run = active[runID], let s = run.state(stepID), s.current.attempt == attempt else { pump(); return }
        s.timeoutTimer?.close(); s.timeoutTimer = nil
        s.cancellation = nil
        // A secret the step echoed into its result or error is masked before it is recorded.
        var outcome = outcome
        if !s.redactor.isEmpty {
            switch outcome {
            case .succeeded(let v): outcome = .succeeded(s.redactor.redact(v))
            case .failed(let m): outcome = .failed(s.redactor.redact(m))
            case .timedOut(let m): outcome = .timedOut(s.redactor.redact(m))
            case .succeededWithFile: break
            }
        }
        switch reason {
        case .shutdown?:
            // Kernel stopping: leave the row `running`; recovery retries it.
            return
        case .cancelled?:
            moveStep(run, s, to: .cancelled, error: "cancelled")
        case .timedOut?:
            let message = "timed out after \(s.definition.timeoutSeconds.map { formatSeconds($0) } ?? "?")s"
            journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(attempt), "timed_out": true])
            failOrRetry(run, s, message: message, timedOut: true)
        case nil:
            switch outcome {
            case .succeeded(let value):
                journal.emit(runID, .result, step: stepID, ["value": value, "attempt": JSON(attempt)])
                moveStep(run, s, to: .succeeded, result: value)
                saveToCache(run, s, value)
            case .succeededWithFile:
                let message = "internal: the result file was not moved into the blob store"
                journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(attempt)])
                failOrRetry(run, s, message: message, timedOut: false)
            case .failed(let message):
                journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(attempt)])
                failOrRetry(run, s, message: message, timedOut: false)
            case .timedOut(let message):
                journal.emit(runID, .error, step: stepID, ["message": .string(message), "attempt": JSON(attempt), "timed_out": true])
                failOrRetry(run, s, message: message, timedOut: true)
            }
        }
        pump()
    }

    /// A failed/timed-out attempt: retry with jittered backoff if attempts are left.
    func failOrRetry(_ run: ActiveRun, _ s: StepState, message: String, timedOut: Bool) {
        let attempt = s.current.attempt
        if s.relativeAttempt < s.definition.retries.maxAttempts, run.stopping == .none {
            // Close this attempt's row with its own outcome, then open the next one as `retrying`.
            var row = s.current
            row.error = message
            row.finishedAt = .now()
            row.status = timedOut ? .timedOut : .failed
            journal.save(row)
            guard s.status.canMove(to: .retrying) else { return }
            var next = StepRun(runID: row.runID, stepID: row.stepID, attempt: attempt + 1, status: .retrying,
                               componentID: row.componentID, componentVersion: row.componentVersion)
            next.error = nil
            s.attempts.append(next)
            journal.save(next)
            let delay = s.definition.retries.jitteredDelayMilliseconds(beforeAttempt: attempt - s.attemptBase + 1, unit: Double.random(in: 0..<1))
            journal.emit(run.run.id, .statusChange, step: s.id, [
                "entity": "step", "step": .string(s.id), "status": "retrying", "attempt": JSON(attempt + 1),
                "previous_error": .string(message), "delay_ms": .int(Int64(delay)),
            ])
            let runID = run.run.id, stepID = s.id
            s.backoffTimer = try? Timer.after(loop: KernelRuntime.loop, ms: delay) { [weak self] in
                KernelActor.assumeIsolated {
                    guard let self, let run = self.active[runID], let s = run.state(stepID), s.status == .retrying else { return }
                    s.backoffTimer = nil
                    if self.moveStep(run, s, to: .queued) { self.ready.append((runID, stepID)) }
                    self.pump()
                }
            }
            return
        }
        moveStep(run, s, to: timedOut ? .timedOut : .failed, error: message)
        stepFailedFinally(run, s, message: message, timedOut: timedOut)
    }

    /// A step ended failed for good: the run fails after running steps return, unless the
    /// step has `continueOnError`.
    func stepFailedFinally(_ run: ActiveRun, _ s: StepState, message: String, timedOut: Bool) {
        // An item's failure is its step's business (`itemSettled`).
        guard !s.definition.continueOnError, s.parent == nil else { return }
        if run.stopping == .none {
            run.stopping = .failed(step: s.definition.id, message: message, timedOut: timedOut)
            ready.removeAll { $0.0 == run.run.id }
        }
    }

    /// Ends the run once nothing of it runs or waits any more.
    func maybeFinish(_ run: ActiveRun) {
        guard active[run.run.id] != nil, !run.run.status.isTerminal, !run.spoolingOutputs else { return }
        if run.run.status == .queued {
            guard run.stopping == .cancelled else { return }
            finish(run, status: .cancelled, outputs: .null, error: "cancelled")
            return
        }
        switch run.stopping {
        case .none:
            guard !run.hasUnfinishedWork, !run.hasPendingSteps else { return }
            let outputs: JSON
            do { outputs = try computeOutputs(run) } catch {
                var message = RunEngine.describe(error)
                if let digest = RunEngine.neededBlob(error) {
                    switch needBlob(run, digest) {
                    case .loading: return
                    case .failed(let why): message = why
                    }
                }
                finish(run, status: .failed, outputs: .null, error: "outputs: \(message)")
                return
            }
            finishSucceeded(run, outputs: outputs)
        case .cancelled, .failed:
            guard run.runningCount == 0 else { return }
            let why: String
            if case .failed(let step, let message, _) = run.stopping { why = "not started: step '\(step)' failed: \(message)" } else { why = "cancelled" }
            for s in run.orderedSteps where !s.status.isTerminal {
                s.backoffTimer?.close(); s.backoffTimer = nil
                if s.status == .retrying || s.status == .pending || s.status == .queued {
                    moveStep(run, s, to: .cancelled, error: why)
                } else if s.status == .waiting {
                    endWait(run, s, outcome: .cancelled)
                    moveStep(run, s, to: .cancelled, error: why)
                }
            }
            if case .failed(let step, let message, let timedOut) = run.stopping {
                finish(run, status: timedOut ? .timedOut : .failed, outputs: .null, error: "step '\(step)' \(timedOut ? "timed out" : "failed"): \(message)")
            } else {
                finish(run, status: .cancelled, outputs: .null, error: "cancelled")
            }
        }
    }

    func computeOutputs(_ run: ActiveRun) throws -> JSON {
        try run.plan.outputs(in: run.context)
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? KernelError { return e.errors.isEmpty ? e.message : e.message + ": " + e.errors.map(\.description).joined(separator: "; ") }
        if let e = error as? ExpressionError { return e.message }
        return "\(error)"
    }

    func finish(_ run: ActiveRun, status: RunStatus, outputs: JSON, error: String?) {
        guard run.run.status.canMove(to: status) else {
            logger.error("illegal run transition refused", metadata: ["run": "\(run.run.id)", "from": "\(run.run.status.rawValue)", "to": "\(status.rawValue)"])
            return
        }
        let id = run.run.id
        run.run.status = status
        run.run.outputs = outputs
        run.run.error = error
        run.run.finishedAt = .now()
        run.run.leaseExpiresAt = nil
        journal.save(run.run)
        var p = JSONObject()
        p["entity"] = "run"
        p["status"] = .string(status.rawValue)
        p["workflow_id"] = .string(run.run.workflowID)
        if let error { p["error"] = .string(error) }
        journal.emit(id, .statusChange, .object(p))
        journal.emit(id, .end, ["status": .string(status.rawValue), "outputs": outputs, "error": JSON(error)])
        journal.forget(id)
        active[id] = nil
        waiting.removeAll { $0 == id }
        if let ws = idleWaiters.removeValue(forKey: id) { for w in ws { w.resume() } }
        childRunFinished(run.run)
        // A finished run frees a workflow slot.
        Task { @KernelActor in self.pump() }
        runEnded(run)
    }

    /// `mkdir -p` (mode 0700), trying the deepest directory first: a path whose parent exists
    /// costs one syscall.
    nonisolated static func makeDirectories(_ path: String) throws {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            throw KernelError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        try makeDirectories(String(path[..<slash]))
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw KernelError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}

func formatSeconds(_ d: Double) -> String {
    d == d.rounded() ? String(Int(d)) : String(d)
}
