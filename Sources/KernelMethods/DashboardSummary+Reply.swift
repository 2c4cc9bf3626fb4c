import KernelCore
import KernelStore

/// The `dashboard.summary` reply (fields: `MethodReplies.byMethod["dashboard.summary"]`). The store
/// answers the typed `DashboardSummary`; the server builds the API JSON.
extension DashboardSummary {
    var reply: JSON {
        var o = JSONObject()
        o["active_runs"] = JSON(activeRuns)
        o["queued_runs"] = JSON(queuedRuns)
        o["completed_today"] = JSON(completedToday)
        o["failed_today"] = JSON(failedToday)
        o["total_components"] = JSON(totalComponents)
        o["total_workflows"] = JSON(totalWorkflows)
        o["total_runs"] = JSON(totalRuns)
        o["total_connections"] = JSON(totalConnections)
        o["success_rate_7d"] = successRate7d.map { .double($0) } ?? .null
        o["recent_activity"] = .array(recentActivity.map(\.json))
        return .object(o)
    }
}
