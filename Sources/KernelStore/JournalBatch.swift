import KernelCore

/// One group commit of the run journal: the pending writes of every run, written in ONE
/// transaction by `Store.commitJournal`. Each run's part is fenced on its own: it lands only
/// while `owner` holds the run (or nobody does) and its events continue the stored sequence;
/// a refused run's part is left out whole (reported in `Outcome.refused`) and the other runs'
/// parts still commit.
public struct JournalBatch: Sendable {
    /// The kernel writing: the owner fence of every run in the batch.
    public var owner: String
    /// Run rows to replace, at most one per run (the latest state).
    public var runs: [WorkflowRun]
    /// Step rows to insert or replace, at most one per (run, step, attempt) (the latest state).
    public var steps: [StepRun]
    /// Events with the engine's seqs: per run contiguous and continuing its stored `last_seq`.
    public var events: [RunEvent]

    public init(owner: String, runs: [WorkflowRun] = [], steps: [StepRun] = [], events: [RunEvent] = []) {
        self.owner = owner
        self.runs = runs
        self.steps = steps
        self.events = events
    }

    public var isEmpty: Bool { runs.isEmpty && steps.isEmpty && events.isEmpty }

    /// Every run the batch writes for, sorted (the lock order).
    public var runIDs: [EntityID] {
        var ids = Set(runs.map(\.id))
        for s in steps { ids.insert(s.runID) }
        for e in events { ids.insert(e.runID) }
        return ids.sorted()
    }

    /// What a commit did.
    public struct Outcome: Sendable {
        /// Runs whose writes were all left out, with why: `conflict` (another kernel holds the
        /// run, or its events do not continue the stored sequence) or `not_found`.
        public var refused: [EntityID: KernelError]

        public init(refused: [EntityID: KernelError] = [:]) { self.refused = refused }
    }
}
