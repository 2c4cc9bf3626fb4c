/// The persisted records of DESIGN.md §8. Plain values: validation lives in
/// the config and workflow types, persistence in KernelStore.

public typealias EntityID = String

/// A component's identity and catalogue metadata. Its configs live in
/// immutable `ComponentVersion`s.
public struct Component: Sendable, Equatable {
    public var id: EntityID
    public var name: String
    public var type: ComponentType
    public var description: String
    public var tags: [String]
    public var owner: String
    public var latestVersion: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, type: ComponentType, description: String = "", tags: [String] = [],
                owner: String = "", latestVersion: Int = 1, createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id; self.name = name; self.type = type; self.description = description; self.tags = tags
        self.owner = owner; self.latestVersion = latestVersion; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// One immutable config of a component.
public struct ComponentVersion: Sendable, Equatable {
    public var componentID: EntityID
    public var version: Int
    public var type: ComponentType
    public var config: JSON
    /// sha256 hex of `config.canonical()`.
    public var checksum: String
    public var createdAt: Timestamp

    public init(componentID: EntityID, version: Int, type: ComponentType, config: JSON, checksum: String, createdAt: Timestamp) {
        self.componentID = componentID; self.version = version; self.type = type; self.config = config
        self.checksum = checksum; self.createdAt = createdAt
    }
}

/// A workflow: a DAG of steps; its definitions are versioned like components.
public struct Workflow: Sendable, Equatable {
    public var id: EntityID
    public var name: String
    public var description: String
    public var latestVersion: Int
    /// The latest definition (`{inputs?, steps, outputs?, concurrency?}`).
    public var definition: JSON
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, description: String = "", latestVersion: Int = 1, definition: JSON,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id; self.name = name; self.description = description; self.latestVersion = latestVersion
        self.definition = definition; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

public struct WorkflowVersion: Sendable, Equatable {
    public var workflowID: EntityID
    public var version: Int
    public var definition: JSON
    public var checksum: String
    public var createdAt: Timestamp

    public init(workflowID: EntityID, version: Int, definition: JSON, checksum: String, createdAt: Timestamp) {
        self.workflowID = workflowID; self.version = version; self.definition = definition
        self.checksum = checksum; self.createdAt = createdAt
    }
}

/// Status of a run (explicit state machine: see `RunStatus.canMove(to:)`).
public enum RunStatus: String, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled
    case timedOut = "timed_out"

    public var isTerminal: Bool {
        switch self {
        case .queued, .running: return false
        case .succeeded, .failed, .cancelled, .timedOut: return true
        }
    }

    /// Whether `run.retry` may reopen a run that ended so (back to `running`: outside the
    /// engine's forward state machine, an explicit and audited act).
    public var canReopen: Bool { self == .failed || self == .timedOut }

    public func canMove(to next: RunStatus) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.queued, .cancelled), (.queued, .failed): return true
        case (.running, .succeeded), (.running, .failed), (.running, .cancelled), (.running, .timedOut): return true
        default: return false
        }
    }
}

/// Status of one step of a run.
public enum StepStatus: String, Sendable, CaseIterable {
    case pending, queued, running, retrying, succeeded, failed, cancelled, skipped
    case timedOut = "timed_out"
    /// A `wait` step (a timer or a signal) or a nested `workflow` step waiting for its child
    /// run: it holds no process and no step slot.
    case waiting
    /// Succeeded without running: the attempt reused a stored result of an identical attempt
    /// (the step's `cache`, issue 14). A success like `succeeded` for everything downstream.
    case cached

    public var isTerminal: Bool {
        switch self {
        case .pending, .queued, .running, .retrying, .waiting: return false
        case .succeeded, .cached, .failed, .cancelled, .skipped, .timedOut: return true
        }
    }

    /// The step has a result its dependants may use (`succeeded`, or `cached`).
    public var isSuccess: Bool { self == .succeeded || self == .cached }

    public func canMove(to next: StepStatus) -> Bool {
        switch (self, next) {
        case (.pending, .queued), (.pending, .skipped), (.pending, .cancelled), (.pending, .failed): return true
        case (.queued, .running), (.queued, .cancelled), (.queued, .failed), (.queued, .waiting), (.queued, .cached): return true
        case (.waiting, .succeeded), (.waiting, .failed), (.waiting, .timedOut), (.waiting, .cancelled): return true
        case (.running, .succeeded), (.running, .failed), (.running, .retrying), (.running, .cancelled),
             (.running, .timedOut): return true
        case (.retrying, .queued), (.retrying, .running), (.retrying, .cancelled), (.retrying, .failed): return true
        default: return false
        }
    }
}

public struct WorkflowRun: Sendable, Equatable {
    public var id: EntityID
    public var workflowID: EntityID
    public var workflowVersion: Int
    public var status: RunStatus
    public var inputs: JSON
    public var outputs: JSON
    public var error: String?
    /// The exact component versions the run uses: `{stepID: {component, version}}`.
    public var pinned: JSON
    public var createdAt: Timestamp
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    /// Kernel instance that owns the run (claims), and its lease.
    public var owner: String?
    public var leaseExpiresAt: Timestamp?
    /// What started the run: null for `workflow.run`, else `{kind: "schedule"|"webhook"|"mcp", id, …}`.
    public var trigger: JSON
    /// The workflow's `concurrency` at submission (kept on the row so kernels sharing one queue
    /// enforce it together when they claim); nil = no limit. Written by `createRun` only.
    public var concurrencyLimit: Int? = nil

    public init(id: EntityID, workflowID: EntityID, workflowVersion: Int, status: RunStatus = .queued,
                inputs: JSON = [:], outputs: JSON = .null, error: String? = nil, pinned: JSON = [:],
                createdAt: Timestamp, startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil,
                owner: String? = nil, leaseExpiresAt: Timestamp? = nil, trigger: JSON = .null) {
        self.id = id; self.workflowID = workflowID; self.workflowVersion = workflowVersion; self.status = status
        self.inputs = inputs; self.outputs = outputs; self.error = error; self.pinned = pinned
        self.createdAt = createdAt; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.owner = owner; self.leaseExpiresAt = leaseExpiresAt; self.trigger = trigger
    }
}

/// One attempt of one step.
public struct StepRun: Sendable, Equatable {
    public var runID: EntityID
    public var stepID: String
    public var attempt: Int
    public var status: StepStatus
    public var componentID: EntityID
    public var componentVersion: Int
    public var result: JSON
    public var error: String?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?

    public init(runID: EntityID, stepID: String, attempt: Int = 1, status: StepStatus = .pending,
                componentID: EntityID, componentVersion: Int, result: JSON = .null, error: String? = nil,
                startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil) {
        self.runID = runID; self.stepID = stepID; self.attempt = attempt; self.status = status
        self.componentID = componentID; self.componentVersion = componentVersion; self.result = result
        self.error = error; self.startedAt = startedAt; self.finishedAt = finishedAt
    }
}

/// One entry of a run's event log. `seq` is per run, 1, 2, 3… with no gaps.
public struct RunEvent: Sendable, Equatable {
    /// Event types (contract: DESIGN.md §5 SSE `event:` names).
    public enum Kind: String, Sendable, CaseIterable {
        case statusChange = "status_change"
        case log, progress
        case resultPreview = "result_preview"
        case result, artifact, error, end
    }

    public var runID: EntityID
    public var seq: Int64
    public var type: Kind
    public var stepID: String?
    public var payload: JSON
    public var at: Timestamp

    public init(runID: EntityID, seq: Int64, type: Kind, stepID: String? = nil, payload: JSON, at: Timestamp) {
        self.runID = runID; self.seq = seq; self.type = type; self.stepID = stepID; self.payload = payload; self.at = at
    }
}

/// One audit entry. Written in the same transaction as the mutation it records.
public struct ActionLog: Sendable, Equatable {
    public var id: EntityID
    public var at: Timestamp
    public var actor: String
    public var actionType: String
    public var entityType: String
    public var entityID: EntityID
    /// Never contains secrets (`"secret": "set"`).
    public var details: JSON

    public init(id: EntityID, at: Timestamp, actor: String, actionType: String, entityType: String,
                entityID: EntityID, details: JSON = [:]) {
        self.id = id; self.at = at; self.actor = actor; self.actionType = actionType
        self.entityType = entityType; self.entityID = entityID; self.details = details
    }
}

/// An external database connection. The secret is sealed at rest and is
/// never part of this value: only whether one is set.
public struct Connection: Sendable, Equatable {
    public var id: EntityID
    public var name: String
    public var plugin: String
    public var config: JSON
    public var readOnly: Bool
    public var hasSecret: Bool
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, plugin: String, config: JSON, readOnly: Bool = false,
                hasSecret: Bool = false, createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id; self.name = name; self.plugin = plugin; self.config = config; self.readOnly = readOnly
        self.hasSecret = hasSecret; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}
