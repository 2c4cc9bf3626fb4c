import Glibc
import KernelCore
import KernelLoop

extension RunEngine {
    /// `run.get`: the run with its steps (attempts, timings, results, errors).
    public func snapshot(_ id: EntityID) async throws -> JSON {
        let run: WorkflowRun
        let attempts: [StepRun]
        var order: [String] = []
        if let a = active[id] {
            run = a.run
            attempts = a.orderedSteps.flatMap(\.attempts)
            order = a.plan.steps.map(\.id)
        } else {
            run = try await store.run(id)
            attempts = try await store.stepRuns(runID: id)
            if case .object(let pins) = run.pinned { order = pins.keys }
        }
        var byStep: [String: [StepRun]] = [:]
        for a in attempts { byStep[a.stepID, default: []].append(a) }
        for k in byStep.keys where !order.contains(k) { order.append(k) }
        guard case .object(var o) = EngineJSON.run(run) else { return .null }
        o["steps"] = .array(order.compactMap { byStep[$0].map { EngineJSON.step($0.sorted { $0.attempt < $1.attempt }) } })
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
        return ["runs": .array(page.runs.map { r in
                    var o = active[r.id].map { EngineJSON.run($0.run) } ?? EngineJSON.run(r)
                    if case .object(var obj) = o { obj["workflow_name"] = JSON(names[r.workflowID]); o = .object(obj) }
                    return o
                }),
                "next_cursor": JSON(page.next)]
    }

    /// `run.events {id, after, limit}`.
    public func events(_ id: EntityID, after: Int64, limit: Int) async throws -> JSON {
        _ = try await store.run(id)
        let page = try await store.events(runID: id, after: max(0, after), limit: max(1, min(limit, EngineLimits.maxEventsPage)))
        return ["events": .array(page.map(EngineJSON.event)), "last_seq": .int(page.last?.seq ?? after)]
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
        let reply: JSON = ["subscription": .string(sub.id), "run": snap, "events": .array(page.map(EngineJSON.event)),
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
        guard let d = opendir(dir) else { return ["artifacts": []] }
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
            out.append(["name": .string(name), "size": .int(Int64(st.st_size)), "mime": .string(ArtifactNames.mime(for: name)),
                        "path": .string(dir + "/" + name)])
        }
        return ["artifacts": .array(out)]
    }

    /// `run.artifact {id, name}`: one artifact's content (text inline; binary as base64).
    public func artifact(_ id: EntityID, name: String) async throws -> JSON {
        _ = try await store.run(id)
        guard ArtifactNames.isValid(name) else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("name", "must be a plain file name")])
        }
        let path = artifactDirectory(id) + "/" + name
        guard let bytes = ArtifactNames.readFile(path, limit: EngineLimits.maxInlineArtifactBytes) else {
            throw KernelError.notFound("run \(id) has no artifact '\(name)'")
        }
        var o = JSONObject([("name", .string(name)), ("mime", .string(ArtifactNames.mime(for: name))), ("size", .int(Int64(bytes.count)))])
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
