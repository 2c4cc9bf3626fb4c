import KernelCore

/// An idempotency key claimed in the transaction that inserts a run (`workflow.run
/// {idempotency_key}`): one key, one run per window, across every kernel on the store.
public struct IdempotencyClaim: Sendable, Equatable {
    public var key: String
    /// A key older than this is forgotten: the next submit with it starts a new run.
    public var windowMilliseconds: Int64

    public init(key: String, windowMilliseconds: Int64 = IdempotencyLimits.windowMilliseconds) {
        self.key = key; self.windowMilliseconds = windowMilliseconds
    }
}

/// Outcome of `Store.createRun(_:steps:audit:idempotency:)`.
public enum RunCreation: Sendable, Equatable {
    /// The run was inserted and the key (if any) now names it.
    case created
    /// The key already names a run started within the window; nothing was inserted.
    case existing(runID: EntityID, workflowID: EntityID)
}
