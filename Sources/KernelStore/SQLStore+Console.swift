import KernelCore
import KernelLoop

extension SQLStore {
    static let dayMilliseconds: Int64 = 86_400_000

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

    public func actionLog(id: EntityID) async throws -> ActionLog {
        let row = try await database.read { db in
            try await db.first("SELECT \(SQLStore.auditColumns) FROM action_logs WHERE id = ?", [.text(id)])
        }
        guard let row else { throw KernelError.notFound("action log \(id) not found") }
        return try SQLStore.auditRow(row)
    }
}
