import KernelCore
import KernelServices
import KernelStore

extension Kernel {
    /// `dashboard.insights` (issue 19): recommended components (most used, then
    /// recently updated), trending workflows (runs, success rate and runs per
    /// day over the window: the sparkline), and the names of the entities in
    /// the recent activity, so the console never shows a bare id.
    func registerDashboardInsightsMethods() {
        dispatcher.register("dashboard.insights",
                            summary: "Recommended components, trending workflows (7 days: runs, success rate, runs per day) and the names of the recent activity's entities.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            let store = try self.requireStore()
            let recent = try await store.listAudit(AuditQuery(limit: StoreLimits.recentActivity))
            return Kernel.insightsReply(try await store.dashboardInsights(now: .now(), names: recent.map { ($0.entityType, $0.entityID) }))
        }
    }

    /// The reply of `dashboard.insights`: `window_days`, `recommended_components`,
    /// `trending_workflows` (`success_rate` null when none finished) and `names` (entity id →
    /// its name; a run's is "run of <workflow>"), keys sorted.
    nonisolated static func insightsReply(_ ins: DashboardInsights) -> JSON {
        var o = JSONObject()
        o["window_days"] = JSON(ins.windowDays)
        o["recommended_components"] = .array(ins.recommended.map { c in
            ["id": .string(c.id), "name": .string(c.name), "type": .string(c.type), "latest_version": JSON(c.latestVersion),
             "updated_at": c.updatedAt.json, "uses": JSON(c.uses), "workflows": JSON(c.workflows),
             "reason": .string(c.reason == .mostUsed ? "most used" : "recently updated")]
        })
        o["trending_workflows"] = .array(ins.trending.map { w in
            ["id": .string(w.id), "name": .string(w.name), "runs": JSON(w.runs), "succeeded": JSON(w.succeeded),
             "finished": JSON(w.finished), "success_rate": w.successRate.map { .double($0) } ?? .null,
             "daily": .array(w.daily.map { JSON($0) })]
        })
        var names = ins.names
        for (run, workflow) in ins.runWorkflowNames { names[run] = "run of \(workflow)" }
        var n = JSONObject()
        for (k, v) in names.sorted(by: { $0.key < $1.key }) { n[k] = .string(v) }
        o["names"] = .object(n)
        return .object(o)
    }
}
