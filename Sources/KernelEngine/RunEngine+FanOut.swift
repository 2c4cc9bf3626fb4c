import KernelCore
import KernelLoop

/// `forEach`: a step run once per item of a list, each item an attempt-tracked child
/// `<step>[i]` (own retries, logs, result) started up to `maxParallel` at a time; the step's
/// result is the ordered list of item results. The step itself holds no slot; its items do.
extension RunEngine {
    /// A queued `forEach` step: resolves its list and starts the first items.
    func startFanOut(_ run: ActiveRun, _ s: StepState) {
        let text = s.definition.forEach ?? ""
        let list: JSON
        do { list = try Template.parse(text).resolve(in: run.context) } catch {
            var message = "forEach: " + RunEngine.describe(error)
            if let digest = RunEngine.neededBlob(error) {
                switch needBlob(run, digest, requeue: s.id) {
                case .loading: return
                case .failed(let why): message = "forEach: " + why
                }
            }
            failFanOutStep(run, s, message)
            return
        }
        if let ref = BlobReference(list) {
            switch needBlob(run, ref.digest, requeue: s.id) {
            case .loading: return
            case .failed(let why): failFanOutStep(run, s, "forEach: " + why); return
            }
        }
        guard case .array(let items) = list else {
            failFanOutStep(run, s, "forEach: \(text) is \(list.typeName == "null" ? "null" : "a " + list.typeName), not a list")
            return
        }
        guard items.count <= WorkflowStep.maxForEachItems else {
            failFanOutStep(run, s, "forEach: \(text) has \(items.count) items, over the limit maxForEachItems (\(WorkflowStep.maxForEachItems))")
            return
        }
        let fan = FanOut(items: items, maxParallel: s.definition.maxParallel ?? configuration.maxConcurrentSteps)
        s.fanOut = fan
        moveStep(run, s, to: .running, payload: ["items": JSON(items.count), "max_parallel": JSON(fan.maxParallel)])
        if items.isEmpty {
            moveStep(run, s, to: .succeeded, result: .array([]))
            return
        }
        fillFanOut(run, s)
    }

    /// Restores a running `forEach` step after a restart from its items' stored rows: settled
    /// items keep their results, interrupted ones are retried or failed like any step, the
    /// rest start as before.
    func resumeFanOut(_ run: ActiveRun, _ s: StepState, rows: [Int: [StepRun]], message: String) {
        let list = (try? Template.parse(s.definition.forEach ?? "").resolve(in: run.context)) ?? .null
        guard case .array(let items) = list else {
            failFanOutStep(run, s, "forEach: the list could not be resolved again after a restart")
            return
        }
        let fan = FanOut(items: items, maxParallel: s.definition.maxParallel ?? configuration.maxConcurrentSteps)
        s.fanOut = fan
        var notStarted: [Int] = []
        var resumed: [StepState] = []
        // Only the rows of the step's current attempt count; earlier ones are history.
        let base = StepState.itemAttemptBase(of: s)
        for i in items.indices {
            guard let attempts = rows[i]?.filter({ $0.attempt > base }), let last = attempts.last else { notStarted.append(i); continue }
            let item = StepState(item: items[i], index: i, of: s, attempts: attempts)
            if last.status.isTerminal {
                settleItemResult(run, s, fan, item)
            } else {
                fan.inFlight += 1
                run.items[item.id] = item
                resumed.append(item)
            }
        }
        fan.toStart = notStarted
        for item in resumed {
            switch item.status {
            case .running:
                journal.emit(run.run.id, .error, step: item.id, ["message": .string(message), "attempt": JSON(item.current.attempt)])
                if item.relativeAttempt < s.definition.retries.maxAttempts {
                    failOrRetry(run, item, message: message, timedOut: false)
                } else {
                    moveStep(run, item, to: .failed, error: message)
                }
            case .queued: ready.append((run.run.id, item.id))
            case .retrying: if moveStep(run, item, to: .queued) { ready.append((run.run.id, item.id)) }
            case .pending: if moveStep(run, item, to: .queued) { ready.append((run.run.id, item.id)) }
            default: break
            }
        }
        finishFanOutIfDone(run, s, fan)
        if s.status == .running { fillFanOut(run, s) }
    }

    private func failFanOutStep(_ run: ActiveRun, _ s: StepState, _ message: String) {
        if s.status == .queued { moveStep(run, s, to: .running) }
        moveStep(run, s, to: .failed, error: message)
        journal.emit(run.run.id, .error, step: s.id, ["message": .string(message), "attempt": JSON(s.current.attempt)])
        stepFailedFinally(run, s, message: message, timedOut: false)
    }

    /// Starts items until `maxParallel` are in flight (a `when` false skips an item at once).
    func fillFanOut(_ run: ActiveRun, _ s: StepState) {
        guard let fan = s.fanOut else { return }
        let runID = run.run.id, first = StepState.itemAttemptBase(of: s) + 1
        while fan.inFlight < fan.maxParallel, fan.failure == nil, run.stopping == .none, let i = fan.takeNext() {
            let itemID = StepState.itemID(s.id, i)
            var row = StepRun(runID: runID, stepID: itemID, attempt: first, status: .queued, componentID: s.componentID, componentVersion: s.componentVersion)
            if let when = s.definition.when {
                let text = s.definition.whenSource ?? "when"
                var skip: String?
                var failed: String?
                do {
                    if try !when.evaluate(in: run.context.forItem(fan.items[i], index: i)) { skip = "when '\(text)' is false" }
                } catch {
                    failed = "when '\(text)': \(RunEngine.describe(error))"
                }
                if let reason = skip ?? failed {
                    let now = Timestamp.now()
                    row.status = skip != nil ? .skipped : .failed
                    row.error = failed
                    row.finishedAt = now
                    journal.save(row)
                    var p = JSONObject()
                    p["entity"] = "step"; p["step"] = .string(itemID); p["status"] = .string(row.status.rawValue); p["attempt"] = JSON(first)
                    if skip != nil { p["reason"] = .string(reason) } else { p["error"] = .string(reason) }
                    journal.emit(runID, .statusChange, step: itemID, .object(p))
                    let item = StepState(item: fan.items[i], index: i, of: s, attempts: [row])
                    settleItemResult(run, s, fan, item)
                    continue
                }
            }
            journal.save(row)
            journal.emit(runID, .statusChange, step: itemID, ["entity": "step", "step": .string(itemID), "status": "queued", "attempt": JSON(first),
                                                              "item_index": JSON(i)])
            let item = StepState(item: fan.items[i], index: i, of: s, attempts: [row])
            run.items[itemID] = item
            fan.inFlight += 1
            ready.append((runID, itemID))
        }
        finishFanOutIfDone(run, s, fan)
    }

    /// An item reached a final status (from `moveStep`).
    func itemSettled(_ run: ActiveRun, _ s: StepState, _ item: StepState) {
        guard let fan = s.fanOut, run.items.removeValue(forKey: item.id) != nil else { return }
        fan.inFlight -= 1
        settleItemResult(run, s, fan, item)
        finishFanOutIfDone(run, s, fan)
        if s.status == .running { fillFanOut(run, s) }
    }

    /// Records a settled item's result; a failure without `continueOnError` stops the fan-out.
    private func settleItemResult(_ run: ActiveRun, _ s: StepState, _ fan: FanOut, _ item: StepState) {
        guard fan.results[item.itemIndex] == nil else { return }
        fan.settled += 1
        switch item.status {
        case .succeeded, .cached: fan.results[item.itemIndex] = item.current.result
        case .failed, .timedOut:
            fan.results[item.itemIndex] = .null
            if !s.definition.continueOnError, fan.failure == nil {
                fan.failure = (item.itemIndex, item.current.error ?? "failed", item.status == .timedOut)
            }
        default: fan.results[item.itemIndex] = .null
        }
    }

    /// Ends the `forEach` step once nothing of it is in flight and nothing more will start.
    private func finishFanOutIfDone(_ run: ActiveRun, _ s: StepState, _ fan: FanOut) {
        guard s.status == .running, fan.inFlight == 0 else { return }
        if let failure = fan.failure {
            let message = "item \(failure.index) \(failure.timedOut ? "timed out" : "failed"): \(failure.message)"
            moveStep(run, s, to: failure.timedOut ? .timedOut : .failed, error: message)
            stepFailedFinally(run, s, message: message, timedOut: failure.timedOut)
        } else if fan.isComplete {
            guard !fan.spooling else { return }
            let result = fan.result
            guard let values, result.serializedSizeExceeds(ValueLimits.inlineBytes) else {
                moveStep(run, s, to: .succeeded, result: result, payload: ["items": JSON(fan.items.count)])
                return
            }
            // A large list of results travels by reference like any large result.
            fan.spooling = true
            let runID = run.run.id, stepID = s.id
            Task { @KernelActor in
                let stored: Result<JSON, Error>
                do { stored = .success(try await values.spool(result)) } catch { stored = .failure(error) }
                guard let run = self.active[runID], let s = run.steps[stepID], s.status == .running else { return }
                switch stored {
                case .success(let v): self.moveStep(run, s, to: .succeeded, result: v, payload: ["items": JSON(fan.items.count)])
                case .failure(let e):
                    let message = "result: " + RunEngine.describe(e)
                    self.moveStep(run, s, to: .failed, error: message)
                    self.stepFailedFinally(run, s, message: message, timedOut: false)
                }
                self.pump()
            }
        } else if run.stopping != .none {
            moveStep(run, s, to: .cancelled, error: run.stopping == .cancelled ? "cancelled" : "stopped: the run is failing")
        }
    }
}
