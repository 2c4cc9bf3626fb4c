import KernelCore
import KernelLoop

extension SQLStore {
    static let dayMilliseconds: Int64 = 86_400_000
    /// Entity types of `entity(type:id:)` (contract: `entity.get`).
    public static let entityTypes = ["component", "component_version", "workflow", "workflow_run", "step_run", "connection", "action_log"]

    public func dashboardSummary(now: Timestamp) async throws -> DashboardSummary {
        let dayStart = now.milliseconds - ((now.milliseconds % SQLStore.dayMilliseconds) + SQLStore.dayMilliseconds) % SQLStore.dayMilliseconds
        let weekAgo = now.milliseconds - 7 * SQLStore.dayMilliseconds
        let row = try await database.read { db in
            try await db.first(
                """
                SELECT
                  (SELECT count(*) FROM workflow_runs WHERE status = 'running'),
                  (SELECT count(*) FROM workflow_runs WHERE status = 'queued'),
                  (SELECT count(*) FROM workflow_runs WHERE status = 'succeeded' AND finished_at >= ?),
                  (SELECT count(*) FROM workflow_runs WHERE status IN ('failed', 'timed_out') AND finished_at >= ?),
                  (SELECT count(*) FROM components),
                  (SELECT count(*) FROM workflows),
                  (SELECT count(*) FROM workflow_runs),
                  (SELECT count(*) FROM connections),
                  (SELECT count(*) FROM workflow_runs WHERE status = 'succeeded' AND finished_at >= ?),
                  (SELECT count(*) FROM workflow_runs WHERE status IN ('succeeded', 'failed', 'timed_out', 'cancelled') AND finished_at >= ?)
                """, [.int(dayStart), .int(dayStart), .int(weekAgo), .int(weekAgo)])
        }
        guard let row else { throw KernelError.internal("dashboard query returned no row") }
        let recent = try await listAudit(AuditQuery(limit: StoreLimits.recentActivity))
        let finished = row.int(9)
        return DashboardSummary(activeRuns: Int(row.int(0)), queuedRuns: Int(row.int(1)), completedToday: Int(row.int(2)),
                                failedToday: Int(row.int(3)), totalComponents: Int(row.int(4)), totalWorkflows: Int(row.int(5)),
                                totalRuns: Int(row.int(6)), totalConnections: Int(row.int(7)),
                                successRate7d: finished == 0 ? nil : Double(row.int(8)) / Double(finished),
                                recentActivity: recent)
    }

    static func entityJSON(type: String, id: String, name: String, createdAt: Timestamp, updatedAt: Timestamp, details: JSON) -> JSON {
        ["type": .string(type), "id": .string(id), "name": .string(name), "created_at": createdAt.json,
         "updated_at": updatedAt.json, "details": details]
    }

    /// `component_version` ids are `<component_id>@<version>`; `step_run` ids are
    /// `<run_id>/<step_id>` (latest attempt) or `<run_id>/<step_id>/<attempt>`.
    public func entity(type: String, id: String) async throws -> JSON {
        switch type {
        case "component":
            let c = try await component(id)
            return SQLStore.entityJSON(type: type, id: c.id, name: c.name, createdAt: c.createdAt, updatedAt: c.updatedAt, details: c.json)
        case "component_version":
            guard let at = id.lastIndex(of: "@"), let v = Int(id[id.index(after: at)...]) else {
                throw KernelError.invalidParams("component_version ids are <component_id>@<version>",
                                                errors: [FieldError("id", "expected <component_id>@<version>")])
            }
            let cid = String(id[..<at])
            let version = try await componentVersion(cid, version: v)
            let c = try await component(cid)
            return SQLStore.entityJSON(type: type, id: id, name: "\(c.name) v\(v)", createdAt: version.createdAt,
                                       updatedAt: version.createdAt, details: version.json)
        case "workflow":
            let w = try await workflow(id)
            return SQLStore.entityJSON(type: type, id: w.id, name: w.name, createdAt: w.createdAt, updatedAt: w.updatedAt, details: w.json)
        case "workflow_run":
            let r = try await run(id)
            var details = r.json
            if case .object(var o) = details {
                o["steps"] = .array(try await stepRuns(runID: r.id).map(\.json))
                details = .object(o)
            }
            let updated = r.finishedAt ?? r.startedAt ?? r.createdAt
            return SQLStore.entityJSON(type: type, id: r.id, name: "run of \(r.workflowID)", createdAt: r.createdAt,
                                       updatedAt: updated, details: details)
        case "step_run":
            let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, let attempt = parts.count == 3 ? Int(parts[2]) : Optional(0) else {
                throw KernelError.invalidParams("step_run ids are <run_id>/<step_id>[/<attempt>]",
                                                errors: [FieldError("id", "expected <run_id>/<step_id>[/<attempt>]")])
            }
            let steps = try await stepRuns(runID: parts[0]).filter { $0.stepID == parts[1] && (attempt == 0 || $0.attempt == attempt) }
            guard let s = steps.max(by: { $0.attempt < $1.attempt }) else { throw KernelError.notFound("step run \(id) not found") }
            let created = s.startedAt ?? Timestamp(milliseconds: 0)
            return SQLStore.entityJSON(type: type, id: "\(s.runID)/\(s.stepID)/\(s.attempt)", name: s.stepID, createdAt: created,
                                       updatedAt: s.finishedAt ?? created, details: s.json)
        case "connection":
            let c = try await connection(id)
            return SQLStore.entityJSON(type: type, id: c.id, name: c.name, createdAt: c.createdAt, updatedAt: c.updatedAt, details: c.json)
        case "action_log":
            let row = try await database.read { db in
                try await db.first("SELECT \(SQLStore.auditColumns) FROM action_logs WHERE id = ?", [.text(id)])
            }
            guard let row else { throw KernelError.notFound("action log \(id) not found") }
            let a = try SQLStore.auditRow(row)
            return SQLStore.entityJSON(type: type, id: a.id, name: "\(a.actionType) \(a.entityType)", createdAt: a.at, updatedAt: a.at,
                                       details: a.json)
        default:
            throw KernelError.invalidParams("unknown entity type '\(type)'; valid types: \(SQLStore.entityTypes.joined(separator: ", "))",
                                            errors: [FieldError("type", "must be one of \(SQLStore.entityTypes.joined(separator: ", "))")])
        }
    }
}
