import KernelCore

/// What the console's dashboard recommends and ranks (issue 19, `dashboard.insights`):
/// components by use (step runs in the window, workflows using them) then by
/// last update, workflows by runs in the window with their success rate and
/// runs per day (the sparkline), and the names of the entities in the recent
/// activity so the console shows names, not ids.
public struct DashboardInsights: Sendable, Equatable {
    public struct RecommendedComponent: Sendable, Equatable {
        public var id: String
        public var name: String
        public var type: String
        public var latestVersion: Int
        public var updatedAt: Timestamp
        public var uses: Int
        public var workflows: Int
        /// "most used" or "recently updated".
        public var reason: String
    }

    public struct TrendingWorkflow: Sendable, Equatable {
        public var id: String
        public var name: String
        public var runs: Int
        public var succeeded: Int
        public var finished: Int
        /// Runs started on each day of the window, oldest first (`windowDays` entries).
        public var daily: [Int]
    }

    public var windowDays: Int
    public var recommended: [RecommendedComponent]
    public var trending: [TrendingWorkflow]
    /// entity id → display name, for the entities of the recent activity.
    public var names: [String: String]

    public var json: JSON {
        var o = JSONObject()
        o["window_days"] = JSON(windowDays)
        o["recommended_components"] = .array(recommended.map { c in
            ["id": .string(c.id), "name": .string(c.name), "type": .string(c.type), "latest_version": JSON(c.latestVersion),
             "updated_at": c.updatedAt.json, "uses": JSON(c.uses), "workflows": JSON(c.workflows), "reason": .string(c.reason)]
        })
        o["trending_workflows"] = .array(trending.map { w in
            ["id": .string(w.id), "name": .string(w.name), "runs": JSON(w.runs), "succeeded": JSON(w.succeeded),
             "finished": JSON(w.finished),
             "success_rate": w.finished == 0 ? .null : .double(Double(w.succeeded) / Double(w.finished)),
             "daily": .array(w.daily.map { JSON($0) })]
        })
        var n = JSONObject()
        for (k, v) in names.sorted(by: { $0.key < $1.key }) { n[k] = .string(v) }
        o["names"] = .object(n)
        return .object(o)
    }
}
