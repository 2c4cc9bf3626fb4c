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
            return try await store.dashboardInsights(now: .now(), names: recent.map { ($0.entityType, $0.entityID) }).json
        }
    }
}
