/// What a waiting step waits for, stored (`run_waits`) so a restart re-arms it: a timer
/// (`for` / `until`), a signal (`run.signal`), or a nested workflow's child run. One row per
/// attempt; `resolvedAt` is set when it ended, with how (`outcome`).
public struct RunWait: Sendable, Equatable {
    /// Explicit state of a wait.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Still waiting.
        case open
        /// The timer fired (`resolvedAt` is the wake time recorded next to `dueAt`).
        case woke
        /// The signal arrived (`payload` is its payload).
        case signalled
        /// A signal wait's timeout passed first.
        case timedOut = "timed_out"
        /// The child run ended (`payload` is `{status, outputs, error}`).
        case childFinished = "child_finished"
        case cancelled
    }

    public var runID: EntityID
    public var stepID: String
    public var attempt: Int
    /// `for`, `until`, `signal` or `workflow`.
    public var kind: String
    /// When a timer is due (or a signal times out); nil for a signal without a timeout and a child run.
    public var dueAt: Timestamp?
    public var signal: String?
    public var childRunID: EntityID?
    /// The step's resolved inputs: what is being approved.
    public var inputs: JSON
    public var createdAt: Timestamp
    public var resolvedAt: Timestamp?
    public var outcome: Outcome
    public var payload: JSON

    public init(runID: EntityID, stepID: String, attempt: Int, kind: String, dueAt: Timestamp? = nil, signal: String? = nil,
                childRunID: EntityID? = nil, inputs: JSON = [:], createdAt: Timestamp, resolvedAt: Timestamp? = nil,
                outcome: Outcome = .open, payload: JSON = .null) {
        self.runID = runID; self.stepID = stepID; self.attempt = attempt; self.kind = kind; self.dueAt = dueAt
        self.signal = signal; self.childRunID = childRunID; self.inputs = inputs; self.createdAt = createdAt
        self.resolvedAt = resolvedAt; self.outcome = outcome; self.payload = payload
    }

    /// The JSON form (`run.get`'s `waits`).
    public var json: JSON {
        var o = JSONObject()
        o["step"] = .string(stepID)
        o["attempt"] = JSON(attempt)
        o["kind"] = .string(kind)
        o["due_at"] = dueAt?.json ?? .null
        o["signal"] = JSON(signal)
        o["child_run_id"] = JSON(childRunID)
        o["inputs"] = inputs
        o["created_at"] = createdAt.json
        o["resolved_at"] = resolvedAt?.json ?? .null
        o["outcome"] = .string(outcome.rawValue)
        o["payload"] = payload
        return .object(o)
    }
}
