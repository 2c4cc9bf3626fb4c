import KernelCore
import KernelLoop

/// The kernel's persistence (DESIGN.md §8). Implemented once over SQL by
/// `SQLStore`, with two backends: `SQLiteStore` (embedded default) and
/// `PostgresStore` (libpq, non-blocking on the loop).
///
/// Rules every implementation keeps:
/// * every mutation that takes an `ActionLog` commits it in the same transaction;
/// * errors are `KernelError` (`not_found`, `conflict` for unique names and
///   referenced deletes, `unavailable` for a lost database, `internal`);
/// * component/workflow versions are immutable; a new one is appended only when
///   the checksum (sha256 of the canonical JSON) differs;
/// * connection secrets are sealed at rest and never returned (only `unsealSecret`).
@KernelActor
public protocol Store: AnyObject {
    var kind: StoreKind { get }

    // MARK: components
    /// Creates the component with version 1 of `config`. `component.id`/timestamps are the caller's.
    func createComponent(_ component: Component, config: JSON, audit: ActionLog) async throws -> (Component, ComponentVersion)
    /// Applies the changed fields; a config with a different checksum appends version n+1.
    func updateComponent(id: EntityID, changes: ComponentChanges, audit: ActionLog) async throws -> ComponentUpdate
    /// By id, or by name (case-insensitive) when `id` is not a known id.
    func component(_ idOrName: String) async throws -> Component
    func componentVersion(_ id: EntityID, version: Int?) async throws -> ComponentVersion
    func componentVersions(_ id: EntityID) async throws -> [ComponentVersion]
    func listComponents(_ query: ComponentQuery) async throws -> Page<Component>
    /// Refused with `conflict` while a workflow references it, unless `force`.
    func deleteComponent(id: EntityID, force: Bool, audit: ActionLog) async throws

    // MARK: workflows
    /// Creates the workflow with version 1 of its definition; records which components it references.
    func createWorkflow(_ workflow: Workflow, audit: ActionLog) async throws -> (Workflow, WorkflowVersion)
    func updateWorkflow(id: EntityID, changes: WorkflowChanges, audit: ActionLog) async throws -> WorkflowUpdate
    func workflow(_ idOrName: String) async throws -> Workflow
    func workflowVersion(_ id: EntityID, version: Int?) async throws -> WorkflowVersion
    func workflowVersions(_ id: EntityID) async throws -> [WorkflowVersion]
    func listWorkflows(_ query: WorkflowQuery) async throws -> Page<Workflow>
    func deleteWorkflow(id: EntityID, audit: ActionLog) async throws

    // MARK: runs
    /// Inserts the run (normally `queued`) and its initial step rows.
    func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?) async throws -> WorkflowRun
    /// Inserts the run unless `idempotency.key` already names a run started within the window
    /// (`.existing`, nothing written). The key is claimed in the run's own transaction, so of
    /// any number of concurrent submits with one key (on any kernel) exactly one inserts.
    func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?, idempotency: IdempotencyClaim) async throws -> RunCreation
    /// Claims up to `limit` queued runs that nobody holds (or whose lease expired), oldest first,
    /// in one transaction (`SKIP LOCKED`), never exceeding a workflow's `concurrency` across kernels.
    func claimQueuedRuns(owner: String, leaseMilliseconds: Int64, limit: Int) async throws -> [WorkflowRun]
    /// A clean stop: queued runs `owner` holds become unowned, its running runs' leases expire now.
    func handBackRuns(owner: String) async throws -> (queued: Int, running: Int)
    /// Wakes the kernels sharing the queue (PostgreSQL NOTIFY; nothing on SQLite).
    func notifyQueue(_ payload: String) async throws
    /// A kernel's heartbeat row (`cluster.status`).
    func recordKernel(_ kernel: KernelRecord) async throws
    /// Every kernel that wrote a heartbeat to this store.
    func kernels() async throws -> [KernelRecord]
    /// Claims one run if free, already ours, or its lease expired; nil when another kernel holds it.
    func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun?
    /// Unfinished runs (queued or running) held by a kernel other than `owner` whose lease has
    /// expired, oldest first: candidates for a takeover.
    func expiredRuns(excludingOwner owner: String, limit: Int) async throws -> [WorkflowRun]
    /// Takes a run over from `previousOwner` if it still holds it with an expired lease (one
    /// atomic UPDATE: of several kernels exactly one wins), writing `audit` in the same
    /// transaction; nil when the run is no longer up for takeover.
    func takeOverRun(id: EntityID, from previousOwner: String, owner: String, leaseMilliseconds: Int64,
                     audit: ActionLog?) async throws -> WorkflowRun?
    /// Extends the lease of every unfinished run `owner` holds; returns how many.
    func renewLeases(owner: String, leaseMilliseconds: Int64) async throws -> Int
    func updateRun(id: EntityID, changes: RunChanges, audit: ActionLog?) async throws -> WorkflowRun
    /// Replaces the run row as given (status, outputs, error, timings, owner; the lease is only
    /// cleared, when nil). Refused (`conflict`) when another kernel holds the run.
    /// For the engine, which enforces the run state machine itself.
    func saveRun(_ run: WorkflowRun) async throws
    func run(_ id: EntityID) async throws -> WorkflowRun
    /// A full run id, or the one whose id starts with `idOrPrefix` (`ShortID`; `conflict` when several do).
    func resolveRunID(_ idOrPrefix: String) async throws -> EntityID
    func listRuns(_ query: RunQuery) async throws -> Page<WorkflowRun>
    /// Runs owned by `owner` that are still queued or running (crash recovery).
    func recoverableRuns(owner: String) async throws -> [WorkflowRun]

    // MARK: step runs
    /// Inserts or replaces the row of (run, step, attempt).
    /// When `owner` is given, refused (`conflict`) if another kernel holds the run (a kernel that
    /// lost its run cannot overwrite the new owner's attempt rows).
    func saveStepRun(_ step: StepRun, heldBy owner: String?) async throws
    func stepRuns(runID: EntityID) async throws -> [StepRun]

    // MARK: run waits
    /// Inserts or replaces the wait of (run, step, attempt); refused (`conflict`) when `owner`
    /// is given and another kernel holds the run.
    func saveRunWait(_ wait: RunWait, heldBy owner: String?) async throws
    /// Every wait of a run, by step and attempt.
    func runWaits(runID: EntityID) async throws -> [RunWait]

    // MARK: run events
    /// Appends a batch (events of one or several runs) in ONE transaction; the
    /// store assigns each run's next contiguous `seq`s in batch order.
    func appendEvents(_ batch: [NewRunEvent]) async throws -> [RunEvent]
    /// Events of a run with `seq > after`, oldest first.
    func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent]
    /// Appends events whose `seq`s the caller assigned (the engine, holding the
    /// run's claim), in ONE transaction. Each run's seqs must continue its
    /// stored sequence without a gap or repeat, else `conflict` and nothing is written.
    func insertEvents(_ events: [RunEvent]) async throws
    /// Highest stored seq of a run (0 if none); `not_found` for an unknown run.
    func lastEventSeq(runID: EntityID) async throws -> Int64

    // MARK: run journal
    /// The engine's group commit: run rows, step rows and events of several runs in ONE
    /// transaction. Each run's part is fenced like `saveRun`/`saveStepRun(_, heldBy:)`/
    /// `insertEvents` (held by `batch.owner` or nobody; events continue the stored seq): a run
    /// that fails its fence is left out whole and named in `refused`; the rest commits. Throws
    /// (and writes nothing) only when the transaction itself fails.
    func commitJournal(_ batch: JournalBatch) async throws -> JournalBatch.Outcome

    // MARK: audit
    /// For actions that change nothing else (e.g. a plugin load).
    func appendAudit(_ entry: ActionLog) async throws
    func listAudit(_ query: AuditQuery) async throws -> [ActionLog]

    // MARK: connections
    func createConnection(_ connection: Connection, secret: String?, audit: ActionLog) async throws -> Connection
    func updateConnection(id: EntityID, changes: ConnectionChanges, audit: ActionLog) async throws -> Connection
    func connection(_ idOrName: String) async throws -> Connection
    func listConnections() async throws -> [Connection]
    func deleteConnection(id: EntityID, audit: ActionLog) async throws
    /// The plaintext secret, for the plugin layer only. Never put it in a response or log.
    func unsealSecret(connectionID: EntityID) async throws -> String?

    // MARK: console reads
    func dashboardSummary(now: Timestamp) async throws -> DashboardSummary
    /// Recommended components, trending workflows and entity names for the dashboard (issue 19).
    func dashboardInsights(now: Timestamp, names ids: [(type: String, id: String)]) async throws -> DashboardInsights
    /// One audit entry by id (`not_found` if there is none).
    func actionLog(id: EntityID) async throws -> ActionLog
    /// Round-trip time of a trivial query, in milliseconds.
    func ping() async throws -> Double
    func close() async
}

public enum StoreKind: String, Sendable {
    case sqlite, postgres
}
