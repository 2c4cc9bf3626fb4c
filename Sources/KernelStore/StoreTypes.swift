import KernelCore

/// One page of a list; `nextCursor` is opaque, nil on the last page.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
    public init(items: [Item], nextCursor: String?) { self.items = items; self.nextCursor = nextCursor }
}

/// Limits of the list methods.
public enum StoreLimits {
    public static let defaultPageSize = 50
    public static let maxPageSize = 500
    public static let defaultEventPage = 1000
    public static let maxEventPage = 10_000
    public static let maxAuditPage = 1000
    public static let recentActivity = 20

    static func clamp(_ limit: Int?, default d: Int, max m: Int) -> Int {
        guard let limit else { return d }
        return Swift.max(1, Swift.min(limit, m))
    }
}

public struct ComponentQuery: Sendable {
    public var type: ComponentType?
    public var tag: String?
    /// Case-insensitive substring of name or description.
    public var q: String?
    public var limit: Int?
    public var cursor: String?
    public init(type: ComponentType? = nil, tag: String? = nil, q: String? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.type = type; self.tag = tag; self.q = q; self.limit = limit; self.cursor = cursor
    }
}

public struct WorkflowQuery: Sendable {
    public var q: String?
    public var limit: Int?
    public var cursor: String?
    public init(q: String? = nil, limit: Int? = nil, cursor: String? = nil) { self.q = q; self.limit = limit; self.cursor = cursor }
}

public struct RunQuery: Sendable {
    public var workflowID: EntityID?
    public var status: RunStatus?
    public var limit: Int?
    public var cursor: String?
    public init(workflowID: EntityID? = nil, status: RunStatus? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.workflowID = workflowID; self.status = status; self.limit = limit; self.cursor = cursor
    }
}

public struct AuditQuery: Sendable {
    public var entityType: String?
    public var entityID: String?
    public var actionType: String?
    public var limit: Int?
    /// Id of an entry: only older entries are returned.
    public var before: String?
    public init(entityType: String? = nil, entityID: String? = nil, actionType: String? = nil, limit: Int? = nil, before: String? = nil) {
        self.entityType = entityType; self.entityID = entityID; self.actionType = actionType; self.limit = limit; self.before = before
    }
}

public struct ComponentChanges: Sendable {
    public var name: String?
    public var description: String?
    public var tags: [String]?
    public var owner: String?
    public var config: JSON?
    /// The type of `config` when it changes type (the component's type follows its latest version).
    public var type: ComponentType?
    public var updatedAt: Timestamp
    public init(name: String? = nil, description: String? = nil, tags: [String]? = nil, owner: String? = nil,
                config: JSON? = nil, type: ComponentType? = nil, updatedAt: Timestamp = .now()) {
        self.name = name; self.description = description; self.tags = tags; self.owner = owner
        self.config = config; self.type = type; self.updatedAt = updatedAt
    }
}

public struct ComponentUpdate: Sendable {
    public var component: Component
    /// The version appended by this update, nil if the config was unchanged or absent.
    public var appendedVersion: ComponentVersion?
}

public struct WorkflowChanges: Sendable {
    public var name: String?
    public var description: String?
    public var definition: JSON?
    public var updatedAt: Timestamp
    public init(name: String? = nil, description: String? = nil, definition: JSON? = nil, updatedAt: Timestamp = .now()) {
        self.name = name; self.description = description; self.definition = definition; self.updatedAt = updatedAt
    }
}

public struct WorkflowUpdate: Sendable {
    public var workflow: Workflow
    public var appendedVersion: WorkflowVersion?
}

/// Fields of a run to change; nil leaves a field alone. `clearOwner` releases the claim.
public struct RunChanges: Sendable {
    public var status: RunStatus?
    public var outputs: JSON?
    public var error: String?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var clearOwner: Bool
    /// When set, the update only applies if the run's status is still this one (else `conflict`).
    public var expectedStatus: RunStatus?
    public init(status: RunStatus? = nil, outputs: JSON? = nil, error: String? = nil, startedAt: Timestamp? = nil,
                finishedAt: Timestamp? = nil, clearOwner: Bool = false, expectedStatus: RunStatus? = nil) {
        self.status = status; self.outputs = outputs; self.error = error; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.clearOwner = clearOwner; self.expectedStatus = expectedStatus
    }
}

/// An event to append; the store assigns `seq`.
public struct NewRunEvent: Sendable {
    public var runID: EntityID
    public var type: RunEvent.Kind
    public var stepID: String?
    public var payload: JSON
    public var at: Timestamp
    public init(runID: EntityID, type: RunEvent.Kind, stepID: String? = nil, payload: JSON, at: Timestamp = .now()) {
        self.runID = runID; self.type = type; self.stepID = stepID; self.payload = payload; self.at = at
    }
}

/// What to do with a connection's secret on update.
public enum SecretChange: Sendable {
    case keep
    case set(String)
    case clear
}

public struct ConnectionChanges: Sendable {
    public var name: String?
    public var plugin: String?
    public var config: JSON?
    public var readOnly: Bool?
    public var secret: SecretChange
    public var updatedAt: Timestamp
    public init(name: String? = nil, plugin: String? = nil, config: JSON? = nil, readOnly: Bool? = nil,
                secret: SecretChange = .keep, updatedAt: Timestamp = .now()) {
        self.name = name; self.plugin = plugin; self.config = config; self.readOnly = readOnly
        self.secret = secret; self.updatedAt = updatedAt
    }
}

/// What `dashboard.summary` reports (the server builds the reply: `DashboardSummary+Reply`).
public struct DashboardSummary: Sendable, Equatable {
    public var activeRuns: Int
    public var queuedRuns: Int
    public var completedToday: Int
    public var failedToday: Int
    public var totalComponents: Int
    public var totalWorkflows: Int
    public var totalRuns: Int
    public var totalConnections: Int
    /// succeeded / finished over the last 7 days; nil when nothing finished.
    public var successRate7d: Double?
    public var recentActivity: [ActionLog]
}
