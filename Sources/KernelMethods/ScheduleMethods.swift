import KernelCore
import KernelDispatch
import KernelEngine
import KernelLoop
import KernelServices
import KernelStore

/// `schedule.create|get|list|update|delete|pause|resume|ticks` (issue 18).
extension Kernel {
    func registerScheduleMethods() {
        let idOnly: JSON = ["type": "object", "required": ["id"], "properties": ["id": ["type": "string", "description": "Schedule id or name"]],
                            "additionalProperties": false]
        let properties = JSONObject([
            ("name", ["type": "string", "minLength": 1, "maxLength": JSON(Kernel.maxEntityNameLength)]),
            ("workflow", ["type": "string", "description": "Workflow id or name"]),
            ("version", ["type": ["integer", "null"], "minimum": 1, "description": "Pin a workflow version (default: latest at each tick)"]),
            ("cron", ["type": "string", "maxLength": JSON(CronExpression.maxLength),
                      "description": "5 fields (minute hour day-of-month month day-of-week), 6 with leading seconds, or @hourly/@daily/@weekly/@monthly/@yearly"]),
            ("timezone", ["type": "string", "description": "IANA time zone (default UTC)"]),
            ("inputs", ["type": "object", "description": "The runs' inputs (checked against the workflow's input schema)"]),
            ("catchup", ["type": "string", "enum": .array(Schedule.Catchup.allCases.map { .string($0.rawValue) }),
                         "description": "Ticks missed while no kernel ran: none (default), last, all"]),
            ("overlap", ["type": "string", "enum": .array(Schedule.Overlap.allCases.map { .string($0.rawValue) }),
                         "description": "While the previous run goes on: skip (default), queue, cancel-previous"]),
        ])
        dispatcher.register("schedule.create", summary: "Creates a schedule: a cron expression in a time zone starting runs of a workflow.",
                            params: .object(JSONObject([("type", "object"), ("required", ["name", "workflow", "cron"]),
                                                        ("properties", .object(properties)), ("additionalProperties", false)])),
                            checks: { [unowned self] p in self.cronAndZoneErrors(p) }) { [unowned self] p, ctx in
            try await self.createSchedule(p, ctx)
        }
        dispatcher.register("schedule.get", summary: "One schedule with its next fire time and recent ticks (each with its run).",
                            params: idOnly) { [unowned self] p, _ in
            let store = try self.requireTriggerStore()
            let s = try await store.schedule(try p.string("id"))
            var o = self.scheduleJSON(s).objectValue ?? JSONObject()
            o["recent_ticks"] = .array(try await store.ticks(scheduleID: s.id, limit: ScheduleLimits.recentTicks).map(\.json))
            return .object(o)
        }
        dispatcher.register("schedule.list", summary: "Schedules, newest first, each with its next fire time.",
                            params: Kernel.pageParams) { [unowned self] p, _ in
            let page = try await self.requireTriggerStore().listSchedules(limit: try p.optionalInt("limit", in: 1...StoreLimits.maxPageSize),
                                                                          cursor: try p.optionalString("cursor"))
            return ["items": .array(page.items.map { self.scheduleJSON($0) }), "next_cursor": JSON(page.nextCursor)]
        }
        var updateProps = properties
        updateProps["id"] = ["type": "string"]
        dispatcher.register("schedule.update", summary: "Changes a schedule; a new cron or time zone counts from now (no catch-up of the old one).",
                            params: .object(JSONObject([("type", "object"), ("required", ["id"]), ("properties", .object(updateProps)),
                                                        ("additionalProperties", false)])),
                            checks: { [unowned self] p in self.cronAndZoneErrors(p) }) { [unowned self] p, ctx in
            try await self.updateSchedule(p, ctx)
        }
        dispatcher.register("schedule.delete", summary: "Deletes a schedule and its tick history (runs stay).", params: idOnly) { [unowned self] p, ctx in
            let store = try self.requireTriggerStore()
            let s = try await store.schedule(try p.string("id"))
            try await store.deleteSchedule(id: s.id, audit: self.auditEntry(ctx, action: "schedule.delete", entityType: "schedule", entityID: s.id, details: ["name": .string(s.name)]))
            return ["id": .string(s.id), "deleted": true]
        }
        dispatcher.register("schedule.pause", summary: "Pauses a schedule: no tick fires until resumed.", params: idOnly) { [unowned self] p, ctx in
            try await self.setScheduleState(p, ctx, .paused)
        }
        dispatcher.register("schedule.resume", summary: "Resumes a paused schedule from now (ticks missed while paused do not run).",
                            params: idOnly) { [unowned self] p, ctx in
            try await self.setScheduleState(p, ctx, .active)
        }
        dispatcher.register("schedule.ticks", summary: "A schedule's claimed ticks, newest first: run id or why none (skipped_overlap, waiting, missed, failed).",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"], "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxPageSize)]],
                                     "additionalProperties": false]) { [unowned self] p, _ in
            let store = try self.requireTriggerStore()
            let s = try await store.schedule(try p.string("id"))
            let items = try await store.ticks(scheduleID: s.id, limit: try p.optionalInt("limit", in: 1...StoreLimits.maxPageSize) ?? StoreLimits.defaultPageSize)
            return ["schedule_id": .string(s.id), "items": .array(items.map(\.json)), "next_cursor": .null]
        }
    }

    /// A schedule's JSON plus `next_fire_at` (null while paused).
    func scheduleJSON(_ s: Schedule) -> JSON {
        var o = s.json.objectValue ?? JSONObject()
        let now = Timestamp.now().milliseconds / 1000
        var next: JSON = .null
        if s.state == .active, let c = try? CronExpression(s.cron), let z = try? triggers.zones.zone(s.timezone),
           let n = c.nextFire(after: max(now, s.anchor), in: z) {
            next = Timestamp(milliseconds: n * 1000).json
        }
        o["next_fire_at"] = next
        return .object(o)
    }

    static let scheduleKeys: Set<String> = ["id", "name", "workflow", "version", "cron", "timezone", "inputs", "catchup", "overlap"]

    /// What the params schema cannot state: the cron expression parses, the time zone exists.
    func cronAndZoneErrors(_ p: Params) -> [FieldError] {
        var errors: [FieldError] = []
        if let s = p.json["cron"]?.stringValue {
            do { _ = try CronExpression(s) } catch let e as KernelError { errors += e.errors } catch {}
        }
        if let s = p.json["timezone"]?.stringValue {
            do { _ = try triggers.zones.zone(s) } catch let e as KernelError { errors += e.errors } catch {}
        }
        return errors
    }

    /// Every field error of create/update params at once (cron, zone, enums, names).
    private func scheduleFieldErrors(_ p: Params) -> [FieldError] {
        var errors: [FieldError] = []
        for (key, _) in p.json.objectValue ?? JSONObject() where !Kernel.scheduleKeys.contains(key) { errors.append(FieldError(key, "unknown field")) }
        errors += Kernel.triggerNameErrors(p)
        if let c = p.json["cron"], !c.isNull {
            if let s = c.stringValue {
                do { _ = try CronExpression(s) } catch let e as KernelError { errors += e.errors } catch {}
            } else { errors.append(FieldError("cron", "must be a string")) }
        }
        if let z = p.json["timezone"], !z.isNull {
            if let s = z.stringValue {
                do { _ = try triggers.zones.zone(s) } catch let e as KernelError { errors += e.errors } catch {}
            } else { errors.append(FieldError("timezone", "must be a string")) }
        }
        if let v = p.json["catchup"], !v.isNull, Schedule.Catchup(rawValue: v.stringValue ?? "") == nil {
            errors.append(FieldError("catchup", "must be one of none, last, all"))
        }
        if let v = p.json["overlap"], !v.isNull, Schedule.Overlap(rawValue: v.stringValue ?? "") == nil {
            errors.append(FieldError("overlap", "must be one of skip, queue, cancel-previous"))
        }
        if let v = p.json["version"], !v.isNull, (v.intValue ?? 0) < 1 { errors.append(FieldError("version", "must be an integer ≥ 1")) }
        if let v = p.json["inputs"], !v.isNull, v.objectValue == nil { errors.append(FieldError("inputs", "must be an object")) }
        return errors
    }

    /// The target workflow, with the inputs checked against the version the schedule would run now.
    private func scheduleTarget(_ workflow: String, version: Int?, inputs: JSON) async throws -> Workflow {
        let w = try await triggerTarget(workflow, version: version, kind: "schedule")
        let v = try await requireStore().workflowVersion(w.id, version: version)
        let plan = try WorkflowDefinition.parse(v.definition, lookup: nil)
        _ = try plan.validateRunInputs(inputs)
        return w
    }

    func createSchedule(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors = scheduleFieldErrors(p)
        for key in ["name", "workflow", "cron"] where p.value(key) == nil { errors.append(FieldError(key, "is required")) }
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid schedule", errors: errors) }
        let version = try p.optionalInt("version")
        let inputs = p.value("inputs") ?? [:]
        let w = try await scheduleTarget(try p.string("workflow"), version: version, inputs: inputs)
        let now = Timestamp.now()
        let s = Schedule(id: Identifier.uuid(), name: try p.string("name").trimmingCharacters(), workflowID: w.id, workflowVersion: version,
                         cron: try p.string("cron"), timezone: try p.optionalString("timezone") ?? "UTC", inputs: inputs,
                         catchup: Schedule.Catchup(rawValue: try p.optionalString("catchup") ?? "") ?? .none,
                         overlap: Schedule.Overlap(rawValue: try p.optionalString("overlap") ?? "") ?? .skip,
                         anchor: now.milliseconds / 1000, createdAt: now, updatedAt: now)
        let created = try await requireTriggerStore().createSchedule(s, audit: self.auditEntry(ctx, action: "schedule.create", entityType: "schedule", entityID: s.id, details: .object(JSONObject([("name", .string(s.name)), ("workflow_id", .string(w.id)), ("cron", .string(s.cron)), ("timezone", .string(s.timezone))]))))
        triggers.scheduler?.kick()
        return scheduleJSON(created)
    }

    func updateSchedule(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        let errors = scheduleFieldErrors(p)
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid schedule", errors: errors) }
        let store = try requireTriggerStore()
        let current = try await store.schedule(try p.string("id"))
        let now = Timestamp.now()
        var c = ScheduleChanges(updatedAt: now)
        var details = JSONObject()
        if let n = try p.optionalString("name") { c.name = n.trimmingCharacters(); details["name"] = .string(n) }
        let versionGiven = p.json["version"] != nil
        let version = versionGiven ? try p.optionalInt("version") : current.workflowVersion
        let inputs = p.value("inputs") ?? current.inputs
        if p.value("workflow") != nil || versionGiven || p.value("inputs") != nil {
            let w = try await scheduleTarget(try p.optionalString("workflow") ?? current.workflowID, version: version, inputs: inputs)
            c.workflowID = w.id
            if versionGiven { c.workflowVersion = .some(version) }
            if p.value("inputs") != nil { c.inputs = inputs; details["inputs"] = "changed" }
            details["workflow_id"] = .string(w.id)
        }
        if let cron = try p.optionalString("cron") { c.cron = cron; c.anchor = now.milliseconds / 1000; details["cron"] = .string(cron) }
        if let tz = try p.optionalString("timezone") { c.timezone = tz; c.anchor = now.milliseconds / 1000; details["timezone"] = .string(tz) }
        if let v = try p.optionalString("catchup") { c.catchup = Schedule.Catchup(rawValue: v); details["catchup"] = .string(v) }
        if let v = try p.optionalString("overlap") { c.overlap = Schedule.Overlap(rawValue: v); details["overlap"] = .string(v) }
        let updated = try await store.updateSchedule(id: current.id, changes: c,
                                                     audit: self.auditEntry(ctx, action: "schedule.update", entityType: "schedule", entityID: current.id, details: .object(details)))
        triggers.scheduler?.kick()
        return scheduleJSON(updated)
    }

    func setScheduleState(_ p: Params, _ ctx: CallContext, _ state: Schedule.State) async throws -> JSON {
        let store = try requireTriggerStore()
        let current = try await store.schedule(try p.string("id"))
        guard current.state != state else { return scheduleJSON(current) }
        let now = Timestamp.now()
        var c = ScheduleChanges(updatedAt: now)
        c.state = state
        if state == .active { c.anchor = now.milliseconds / 1000 }
        let updated = try await store.updateSchedule(id: current.id, changes: c, audit: auditEntry(
            ctx, action: state == .paused ? "schedule.pause" : "schedule.resume", entityType: "schedule", entityID: current.id,
            details: ["name": .string(current.name)]))
        triggers.scheduler?.kick()
        return scheduleJSON(updated)
    }
}
