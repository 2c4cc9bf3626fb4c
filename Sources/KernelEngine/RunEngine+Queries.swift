import Glibc
import KernelCore
import KernelLoop

extension RunEngine {
    /// `run.get`: the run with its steps (attempts, timings, results, errors). A `forEach`
    /// step lists its items (`<step>[i]`, in order) under `items`; a step reused by a rerun
    /// says `reused: true`; `waits` are the run's waits (timers, signals, child runs).
    public func snapshot(_ id: EntityID) async throws -> JSON {
        let run: WorkflowRun
        var attempts: [StepRun]
        var order: [String] = []
        var waits = try await store.runWaits(runID: id)
        let held = active[id]
        if let a = held {
            run = a.run
            attempts = a.orderedSteps.flatMap(\.attempts)
            order = a.plan.steps.map(\.id)
            if a.plan.steps.contains(where: { $0.forEach != nil }) {
                // Settled items live in the store; in-flight ones here (newer).
                let live = Set(a.items.keys)
                attempts += try await store.stepRuns(runID: id).filter { StepState.parseItemID($0.stepID) != nil && !live.contains($0.stepID) }
                attempts += a.items.values.flatMap(\.attempts)
            }
            // Waits not stored yet are known here.
            var known = Set(waits.map { "\($0.stepID)/\($0.attempt)" })
            for s in a.orderedSteps { if let w = s.wait {
                let key = "\(w.stepID)/\(w.attempt)"
                if known.insert(key).inserted { waits.append(w) } else if let i = waits.firstIndex(where: { "\($0.stepID)/\($0.attempt)" == key }) { waits[i] = w }
            } }
        } else {
            run = try await store.run(id)
            attempts = try await store.stepRuns(runID: id)
            if case .object(let pins) = run.pinned { order = pins.keys }
        }
        var byStep: [String: [StepRun]] = [:]
        var items: [String: [Int: [StepRun]]] = [:]
        let planned = Set(order)
        for a in attempts {
            if !planned.contains(a.stepID), let (step, i) = StepState.parseItemID(a.stepID), planned.contains(step) {
                items[step, default: [:]][i, default: []].append(a)
            } else {
                byStep[a.stepID, default: []].append(a)
            }
        }
        var seen = planned
        for k in byStep.keys.sorted() where seen.insert(k).inserted { order.append(k) }
        let reused = Set((run.trigger["kind"] == "rerun" ? run.trigger["reused"]?.arrayValue ?? [] : []).compactMap(\.stringValue))
        guard case .object(var o) = run.json else { return .null }
        o["steps"] = .array(order.compactMap { id in
            guard let rows = byStep[id], case .object(var step) = EngineJSON.step(rows.sorted { $0.attempt < $1.attempt }) else { return nil }
            if reused.contains(id), rows.count == 1 {
                step["reused"] = true
                step["reused_from"] = run.trigger["id"] ?? .null
            }
            if let its = items[id] {
                step["items"] = .array(its.keys.sorted().compactMap { i in its[i].map { EngineJSON.step($0.sorted { $0.attempt < $1.attempt }) } })
            }
            if let fan = held?.steps[id]?.fanOut {
                step["progress"] = ["items": JSON(fan.items.count), "settled": JSON(fan.settled), "in_flight": JSON(fan.inFlight)]
            }
            return .object(step)
        })
        o["waits"] = .array(waits.sorted { ($0.stepID, $0.attempt) < ($1.stepID, $1.attempt) }.map(\.json))
        return .object(o)
    }

    /// `run.list {workflow?, status?, limit, cursor}`.
    public func list(workflow: String?, status: RunStatus?, limit: Int, cursor: String?) async throws -> JSON {
        var workflowID: EntityID?
        if let workflow { workflowID = try await catalog.workflow(workflow, version: nil).0.id }
        let page = try await store.listRuns(workflowID: workflowID, status: status,
                                            limit: max(1, min(limit, EngineLimits.maxRunsPage)), cursor: cursor)
        // Each run names its workflow too (one lookup per distinct workflow on the page).
        var names: [EntityID: String] = [:]
        for id in Set(page.runs.map(\.workflowID)) { names[id] = try? await catalog.workflow(id, version: nil).0.name }
        return ["items": .array(page.runs.map { r in
                    var o = active[r.id].map { $0.run.json } ?? r.json
                    if case .object(var obj) = o { obj["workflow_name"] = JSON(names[r.workflowID]); o = .object(obj) }
                    return o
                }),
                "next_cursor": JSON(page.next)]
    }

    /// `run.events {id, after | cursor, limit}`: the one list shape, `{items, next_cursor}`, where the
    /// cursor is the seq of the page's last event (a full page may have more after it; a short one is
    /// the end of what is stored now), plus `last_seq` (that seq, or `after`) to resume a stream from.
    public func events(_ id: EntityID, after: Int64, limit: Int) async throws -> JSON {
        _ = try await store.run(id)
        let size = max(1, min(limit, EngineLimits.maxEventsPage))
        let page = try await store.events(runID: id, after: max(0, after), limit: size)
        let last = page.last?.seq ?? after
        return ["items": .array(page.map(\.json)), "next_cursor": page.count == size ? .string(String(last)) : .null,
                "last_seq": .int(last)]
    }

    /// `run.subscribe`: the snapshot and the first page of stored events after `after` go in
    /// the reply; the rest of the history and then live events go through `deliver`, in seq
    /// order with no gap or duplicate, ending after the `end` event.
    public func subscribe(_ id: EntityID, after: Int64, deliver: @escaping (RunEvent) -> Bool) async throws
        -> (reply: JSON, subscription: RunSubscription) {
        let sub = RunSubscription(id: Identifier.uuid(), runID: id, after: max(0, after), journal: journal, deliver: deliver)
        // Attach first: anything published from now on is buffered; anything before is stored.
        journal.attach(sub)
        let snap: JSON
        let page: [RunEvent]
        do {
            snap = try await snapshot(id)
            page = try await store.events(runID: id, after: sub.lastSeq, limit: EngineLimits.replayPageSize)
        } catch {
            sub.close()
            throw error
        }
        sub.markDelivered(page)
        let reply: JSON = ["subscription": .string(sub.id), "run": snap, "events": .array(page.map(\.json)),
                           "complete": .bool(sub.phase == .closed)]
        if sub.phase != .closed {
            // After the reply is written (the dispatcher sends it when this returns).
            Task { @KernelActor in await sub.catchUp(store: self.store) }
        }
        return (reply, sub)
    }

    /// The dashboard-wide feed (`events.subscribe`): run status changes and ends of every run.
    public func addStatusFeed(_ f: @escaping (RunEvent) -> Void) -> ObjectIdentifier { journal.addFeed(f) }
    public func removeStatusFeed(_ id: ObjectIdentifier) { journal.removeFeed(id) }

    // MARK: artifacts

    func artifactDirectory(_ id: EntityID) -> String { "\(configuration.home)/artifacts/\(id)" }

    /// `run.artifacts {id}`: files under `$MCPK_HOME/artifacts/<run>/`.
    public func artifacts(_ id: EntityID) async throws -> JSON {
        _ = try await store.run(id)
        var out: [JSON] = []
        let dir = artifactDirectory(id)
        guard let d = opendir(dir) else { return ["items": [], "next_cursor": .null] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." || name.hasPrefix(".") { continue }
            names.append(name)
        }
        for name in names.sorted() {
            var st = stat()
            guard stat(dir + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append(["name": .string(name), "size": .int(Int64(st.st_size)), "mime": .string(MIMETypes.mediaType(forPath: name)),
                        "path": .string(dir + "/" + name)])
        }
        return ["items": .array(out), "next_cursor": .null]
    }

    /// `run.artifact {id, name}`: one artifact's content (text inline; binary as base64).
    public func artifact(_ id: EntityID, name: String) async throws -> JSON {
        _ = try await store.run(id)
        guard ArtifactNames.isValid(name) else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("name", "must be a plain file name")])
        }
        let path = artifactDirectory(id) + "/" + name
        let bytes: [UInt8]
        do { bytes = try WholeFile.bytes(path, limit: EngineLimits.maxInlineArtifactBytes, regularFileOnly: true) } catch {
            switch error.reason {
            case .missing: throw KernelError.notFound("run \(id) has no artifact '\(name)'")
            case .tooLarge: throw KernelError.invalidParams("artifact '\(name)' of run \(id) is over \(EngineLimits.maxInlineArtifactBytes) bytes (EngineLimits.maxInlineArtifactBytes); download it over HTTP")
            case .unreadable: throw KernelError.internal("artifact '\(name)' of run \(id): \(error)")
            }
        }
        var o = JSONObject([("name", .string(name)), ("mime", .string(MIMETypes.mediaType(forPath: name))), ("size", .int(Int64(bytes.count)))])
        if let text = String(validating: bytes, as: UTF8.self) {
            o["encoding"] = "utf-8"
            o["content"] = .string(text)
        } else {
            o["encoding"] = "base64"
            o["content"] = .string(Base64.encode(bytes))
        }
        return .object(o)
    }
}
