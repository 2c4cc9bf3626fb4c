import KernelCore

extension SQLStore {
    /// Days the trending and most-used ranking look back.
    public static let insightsWindowDays = 7
    /// Rows of each dashboard ranking (recommended components, trending workflows).
    public static let insightsRankSize = 6

    /// `dashboard.insights`: portable SQL (SQLite and PostgreSQL), three reads.
    public func dashboardInsights(now: Timestamp, names ids: [(type: String, id: String)]) async throws -> DashboardInsights {
        let days = SQLStore.insightsWindowDays
        let windowStart = now.milliseconds - Int64(days) * SQLStore.dayMilliseconds
        let rank = Int64(SQLStore.insightsRankSize)
        return try await database.read { db in
            let used = try await db.query(
                """
                SELECT c.id, c.name, c.type, c.latest_version, c.updated_at,
                  (SELECT count(DISTINCT s.run_id) FROM step_runs s WHERE s.component_id = c.id AND s.started_at >= ?) AS uses,
                  (SELECT count(*) FROM workflow_components wc WHERE wc.component_id = c.id) AS wfs
                FROM components c ORDER BY uses DESC, wfs DESC, c.updated_at DESC, c.id LIMIT ?
                """, [.int(windowStart), .int(rank)])
            var recommended: [DashboardInsights.RecommendedComponent] = used.map { r in
                let uses = Int(r.int(5)), wfs = Int(r.int(6))
                return .init(id: r.string(0), name: r.string(1), type: r.string(2), latestVersion: Int(r.int(3)),
                             updatedAt: Timestamp(milliseconds: r.int(4)), uses: uses, workflows: wfs,
                             reason: uses > 0 || wfs > 0 ? .mostUsed : .recentlyUpdated)
            }
            // Unused components are ranked by last update only: make that the reason and the order.
            recommended.sort { a, b in
                let au = a.reason == .mostUsed, bu = b.reason == .mostUsed
                if au != bu { return au }
                return au ? false : a.updatedAt.milliseconds > b.updatedAt.milliseconds
            }
            let runRows = try await db.query(
                """
                SELECT r.workflow_id, w.name, (r.created_at - ?) / ? AS day, count(*),
                  sum(CASE WHEN r.status = 'succeeded' THEN 1 ELSE 0 END),
                  sum(CASE WHEN r.status IN ('succeeded', 'failed', 'timed_out', 'cancelled') THEN 1 ELSE 0 END)
                FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id
                WHERE r.created_at >= ? GROUP BY r.workflow_id, w.name, day
                """, [.int(windowStart), .int(SQLStore.dayMilliseconds), .int(windowStart)])
            var byWorkflow: [String: DashboardInsights.TrendingWorkflow] = [:]
            for r in runRows {
                let id = r.string(0)
                var w = byWorkflow[id] ?? .init(id: id, name: r.string(1), runs: 0, succeeded: 0, finished: 0,
                                                daily: [Int](repeating: 0, count: days))
                let day = min(days - 1, max(0, Int(r.int(2))))
                w.daily[day] += Int(r.int(3))
                w.runs += Int(r.int(3))
                w.succeeded += Int(r.int(4))
                w.finished += Int(r.int(5))
                byWorkflow[id] = w
            }
            let trending = byWorkflow.values.sorted { ($0.runs, $1.name) > ($1.runs, $0.name) }.prefix(Int(rank))
            var names: [String: String] = [:]
            let wanted: [(table: String, type: String)] = [("components", "component"), ("workflows", "workflow"), ("connections", "connection")]
            for (table, type) in wanted {
                let list = Array(Set(ids.filter { $0.type == type }.map(\.id))).sorted()
                guard !list.isEmpty else { continue }
                let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
                for r in try await db.query("SELECT id, name FROM \(table) WHERE id IN (\(marks))", list.map { .text($0) }) {
                    names[r.string(0)] = r.string(1)
                }
            }
            var runWorkflowNames: [String: String] = [:]
            let runIDs = Array(Set(ids.filter { $0.type == "workflow_run" }.map(\.id))).sorted()
            if !runIDs.isEmpty {
                let marks = Array(repeating: "?", count: runIDs.count).joined(separator: ", ")
                for r in try await db.query(
                    "SELECT r.id, w.name FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.id IN (\(marks))",
                    runIDs.map { .text($0) }) {
                    runWorkflowNames[r.string(0)] = r.string(1)
                }
            }
            return DashboardInsights(windowDays: days, recommended: recommended, trending: Array(trending), names: names,
                                     runWorkflowNames: runWorkflowNames)
        }
    }
}
