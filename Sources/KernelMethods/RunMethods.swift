import KernelCore
import KernelEngine
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// `workflow.run`, `run.*` and the dashboard-wide `events.subscribe` feed.
    func registerRunMethods() {
        registerRunResultMethods()
        let idOnly: JSON = ["type": "object", "required": ["id"], "properties": ["id": ["type": "string"]]]

        dispatcher.register("workflow.run", summary: "Validates inputs, creates a queued run pinned to exact versions and returns {run_id} at once.",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string", "description": "Workflow id or name"],
                                "inputs": ["type": "object"], "version": ["type": "integer", "minimum": 1],
                                "idempotency_key": ["type": "string", "minLength": 1, "maxLength": JSON(IdempotencyLimits.maxKeyLength),
                                                    "description": "A repeat with this key within the window (IdempotencyLimits.windowMilliseconds, 24 h) returns the first run (replayed: true) instead of starting another."]]]) { [unowned self] p, ctx in
            let engine = try self.requireEngine()
            let inputs = p.value("inputs") ?? [:]
            var claim: IdempotencyClaim?
            if let key = try p.optionalString("idempotency_key") {
                if let e = IdempotencyLimits.keyError(key, field: "idempotency_key") { throw KernelError.invalidParams("invalid idempotency key", errors: [e]) }
                claim = IdempotencyClaim(key: key)
            }
            let (run, replayed) = try await engine.submit(workflow: try p.string("id"), version: try p.optionalInt("version"),
                                                          inputs: inputs, actor: ctx.actor, idempotency: claim)
            var reply = JSONObject([("run_id", .string(run.id)), ("status", .string(run.status.rawValue)), ("workflow_id", .string(run.workflowID)),
                                    ("workflow_version", JSON(run.workflowVersion))])
            if replayed { reply["replayed"] = true }
            // Inputs the schema allows but does not declare: accepted, with a warning each.
            let (_, wv) = try await engine.catalog.workflow(run.workflowID, version: run.workflowVersion)
            let warnings = (try? WorkflowDefinition.parse(wv.definition, lookup: nil))?.undeclaredRunInputWarnings(inputs) ?? []
            if !warnings.isEmpty { reply["warnings"] = .array(warnings.map { .string($0) }) }
            return .object(reply)
        }

        dispatcher.register("run.get", summary: "A run with its steps (attempts, timings, results, errors).", params: idOnly) { [unowned self] p, _ in
            try await self.requireEngine().snapshot(try await self.runID(p))
        }

        dispatcher.register("run.list", summary: "Runs, newest first, filtered by workflow and status, with cursor pagination.",
                            params: ["type": "object", "properties": [
                                "workflow": ["type": "string"], "status": ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })],
                                "limit": ["type": "integer", "minimum": 1, "maximum": JSON(EngineLimits.maxRunsPage)], "cursor": ["type": "string"]],
                                     "additionalProperties": false]) { [unowned self] p, _ in
            // `status` is one of the enum (the dispatcher checked it).
            let status = try p.optionalString("status").flatMap(RunStatus.init(rawValue:))
            return try await self.requireEngine().list(workflow: try p.optionalString("workflow"),
                                                       status: status, limit: try p.optionalInt("limit") ?? 50, cursor: try p.optionalString("cursor"))
        }

        dispatcher.register("run.cancel", summary: "Cancels a run: running steps get SIGTERM, grace, SIGKILL; pending ones are cancelled. Idempotent.",
                            params: idOnly) { [unowned self] p, ctx in
            let engine = try self.requireEngine()
            let id = try await self.runID(p)
            let run = try await engine.cancel(id)
            if let store = self.store {
                try? await store.appendAudit(self.auditEntry(ctx, action: "run.cancel", entityType: "workflow_run", entityID: id))
            }
            return ["id": .string(run.id), "status": .string(run.status.rawValue)]
        }

        dispatcher.register("run.rerun", summary: "A new run of the same pinned versions, reusing the results of steps that succeeded (upstream of `from` when given; shown as `reused`); `inputs` replaces the run's inputs.",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string", "description": "The run to rerun (id or short id)"],
                                "from": ["type": "string", "description": "Step to rerun from: only its ancestors that succeeded are reused"],
                                "inputs": ["type": "object"]]]) { [unowned self] p, ctx in
            let engine = try self.requireEngine()
            let source = try await self.runID(p)
            let run = try await engine.rerun(source, from: try p.optionalString("from"), inputs: p.value("inputs"), actor: ctx.actor)
            let reused = run.trigger["reused"] ?? .array([])
            return ["run_id": .string(run.id), "status": .string(run.status.rawValue), "rerun_of": .string(source),
                    "workflow_id": .string(run.workflowID), "workflow_version": JSON(run.workflowVersion), "reused": reused]
        }

        dispatcher.register("run.retry", summary: "Retries one failed step of a run that ended failed, in place: a new attempt, the steps it stopped pending again, the run reopens. Audited.",
                            params: ["type": "object", "required": ["id", "step"], "properties": [
                                "id": ["type": "string"], "step": ["type": "string", "description": "The failed step"]]]) { [unowned self] p, ctx in
            let engine = try self.requireEngine()
            let id = try await self.runID(p)
            let step = try p.string("step")
            let run = try await engine.retry(id, step: step)
            if let store = self.store {
                try? await store.appendAudit(self.auditEntry(ctx, action: "run.retry", entityType: "workflow_run", entityID: id,
                                                             details: ["step": .string(step)]))
            }
            return ["id": .string(run.id), "status": .string(run.status.rawValue), "step": .string(step)]
        }

        dispatcher.register("run.signal", summary: "Resumes the step of a run waiting for signal `name` (a wait step with `signal`); `payload` must match the wait's schema and becomes the step's result. Audited.",
                            params: ["type": "object", "required": ["id", "name"], "properties": [
                                "id": ["type": "string"], "name": ["type": "string", "minLength": 1],
                                "payload": ["description": "Any JSON value the wait's schema accepts"]]]) { [unowned self] p, ctx in
            let engine = try self.requireEngine()
            let id = try await self.runID(p)
            let name = try p.string("name")
            let reply = try await engine.signal(id, name: name, payload: p.value("payload") ?? .null, actor: ctx.actor)
            if let store = self.store {
                try? await store.appendAudit(self.auditEntry(ctx, action: "run.signal", entityType: "workflow_run", entityID: id,
                                                             details: ["signal": .string(name), "step": reply["step"] ?? .null]))
            }
            return reply
        }

        dispatcher.register("run.events", summary: "A page of stored run events with seq > after (or > cursor, a previous page's next_cursor).",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"], "after": ["type": "integer", "minimum": 0],
                                "cursor": ["type": "string", "pattern": "^[0-9]{1,18}$", "description": "A previous page's next_cursor (the seq of its last event)."],
                                "limit": ["type": "integer", "minimum": 1, "maximum": JSON(EngineLimits.maxEventsPage)]]]) { [unowned self] p, _ in
            let after = try p.optionalString("cursor").flatMap { Int64($0) } ?? Int64(try p.optionalInt("after") ?? 0)
            return try await self.requireEngine().events(try await self.runID(p), after: after, limit: try p.optionalInt("limit") ?? 1000)
        }

        dispatcher.register("run.subscribe", summary: "Snapshot + stored events after `after`, then live `run.event` notifications (no gap, no duplicate) ending with `end`.",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"], "after": ["type": "integer", "minimum": 0]]]) { [unowned self] p, ctx in
            let session = try ctx.requireSession()
            let engine = try self.requireEngine()
            var subscriptionID = ""
            let (reply, sub) = try await engine.subscribe(try await self.runID(p), after: Int64(try p.optionalInt("after") ?? 0)) { [weak session] e in
                guard let session else { return false }
                return session.notify("run.event", ["subscription": .string(subscriptionID), "event": e.json])
            }
            subscriptionID = sub.id
            session.addSubscription(sub.id) { [weak sub] in sub?.close() }
            // The run ended (or the client fell behind): drop the session's cleanup entry too.
            sub.onClose = { [weak session] in session?.removeSubscription(subscriptionID) }
            return reply
        }

        dispatcher.register("run.unsubscribe", summary: "Ends a subscription made by run.subscribe or events.subscribe.",
                            params: ["type": "object", "required": ["subscription"], "properties": ["subscription": ["type": "string"]]]) { p, ctx in
            let session = try ctx.requireSession()
            session.removeSubscription(try p.string("subscription"))
            return ["unsubscribed": true]
        }

        dispatcher.register("events.subscribe", summary: "Dashboard-wide live feed of run status changes (`run.event` notifications) "
                                + "and plugin events (`plugin.event`: `{subscription, plugin, type, payload}` from mcpk_host.emit_event).",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, ctx in
            let session = try ctx.requireSession()
            let engine = try self.requireEngine()
            let id = Identifier.uuid()
            var token: ObjectIdentifier?
            token = engine.addStatusFeed { [weak session, weak engine] e in
                guard let session, session.notify("run.event", ["subscription": .string(id), "event": e.json]) else {
                    if let token { engine?.removeStatusFeed(token) }
                    return
                }
            }
            // The listener removes itself by its token, known only once `add` returns: a box, set
            // below and read later, both on the loop (PluginEventFeed is @KernelActor).
            let pluginToken = PluginEventFeed.TokenBox()
            pluginToken.value = self.pluginEvents.add { [weak session, weak self] plugin, type, payload in
                guard let session, session.notify("plugin.event", ["subscription": .string(id), "plugin": .string(plugin),
                                                                   "type": .string(type), "payload": payload]) else {
                    if let t = pluginToken.value { self?.pluginEvents.remove(t) }
                    return
                }
            }
            session.addSubscription(id) { [weak engine, weak self] in
                if let token { engine?.removeStatusFeed(token) }
                if let t = pluginToken.value { self?.pluginEvents.remove(t) }
            }
            return ["subscription": .string(id), "events": []]
        }

        dispatcher.register("events.unsubscribe", summary: "Ends an events.subscribe feed.",
                            params: ["type": "object", "required": ["subscription"], "properties": ["subscription": ["type": "string"]]]) { p, ctx in
            let session = try ctx.requireSession()
            session.removeSubscription(try p.string("subscription"))
            return ["unsubscribed": true]
        }

        dispatcher.register("run.artifacts", summary: "The artifacts of a run (files under $MCPK_HOME/artifacts/<run>/).", params: idOnly) { [unowned self] p, _ in
            try await self.requireEngine().artifacts(try await self.runID(p))
        }

        dispatcher.register("run.artifact", summary: "One artifact's content (utf-8 inline, else base64).",
                            params: ["type": "object", "required": ["id", "name"], "properties": ["id": ["type": "string"], "name": ["type": "string"]]]) { [unowned self] p, _ in
            try await self.requireEngine().artifact(try await self.runID(p), name: try p.string("name"))
        }
    }
}

extension Kernel {
    /// The run id of `params.id`: a full id, or a unique short id (`ShortID`) resolved by the store.
    func runID(_ params: Params) async throws -> EntityID {
        let raw = try params.string("id")
        guard let store else { return raw }
        return try await store.resolveRunID(raw)
    }
}
