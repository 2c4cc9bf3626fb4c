import KernelCore

/// What the console's dashboard recommends and ranks (issue 19, `dashboard.insights`):
/// components by use (step runs in the window, workflows using them) then by
/// last update, workflows by runs in the window with their success rate and
/// runs per day (the sparkline), and the names of the entities in the recent
/// activity so the console shows names, not ids. Typed: the server builds the reply.
public struct DashboardInsights: Sendable, Equatable {
    public struct RecommendedComponent: Sendable, Equatable {
        /// Why a component is recommended: used in the window (step runs, workflows), or only
        /// recently updated (unused components rank by last update).
        public enum Reason: Sendable, Equatable {
            case mostUsed
            case recentlyUpdated
        }

        public var id: String
        public var name: String
        public var type: String
        public var latestVersion: Int
        public var updatedAt: Timestamp
        public var uses: Int
        public var workflows: Int
        public var reason: Reason

        public init(id: String, name: String, type: String, latestVersion: Int, updatedAt: Timestamp, uses: Int, workflows: Int,
                    reason: Reason) {
            self.id = id; self.name = name; self.type = type; self.latestVersion = latestVersion; self.updatedAt = updatedAt
            self.uses = uses; self.workflows = workflows; self.reason = reason
        }
    }

    public struct TrendingWorkflow: Sendable, Equatable {
        public var id: String
        public var name: String
        public var runs: Int
        public var succeeded: Int
        public var finished: Int
        /// Runs started on each day of the window, oldest first (`windowDays` entries).
        public var daily: [Int]

        public init(id: String, name: String, runs: Int, succeeded: Int, finished: Int, daily: [Int]) {
            self.id = id; self.name = name; self.runs = runs; self.succeeded = succeeded; self.finished = finished; self.daily = daily
        }

        /// succeeded / finished; nil when none finished.
        public var successRate: Double? { finished == 0 ? nil : Double(succeeded) / Double(finished) }
    }

    public var windowDays: Int
    public var recommended: [RecommendedComponent]
    public var trending: [TrendingWorkflow]
    /// entity id → its name, for the components, workflows and connections of the recent activity.
    public var names: [String: String]
    /// run id → the name of its workflow, for the runs of the recent activity.
    public var runWorkflowNames: [String: String]

    public init(windowDays: Int, recommended: [RecommendedComponent], trending: [TrendingWorkflow], names: [String: String],
                runWorkflowNames: [String: String]) {
        self.windowDays = windowDays; self.recommended = recommended; self.trending = trending; self.names = names
        self.runWorkflowNames = runWorkflowNames
    }
}
