import KernelCore
import KernelLoop
import KernelStore

/// What the engine needs from persistence. The kernel's `Store` (KernelStore) satisfies it
/// through `StoreRunStore`; the engine assigns each run's contiguous `seq` itself (it is the
/// only writer of a run it holds the claim of) and persists events in batches.
@KernelActor
public protocol RunStore: AnyObject {
    /// Inserts the run and its initial step rows (attempt 1, pending).
    func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?) async throws
    /// Inserts the run unless the key already names a run of the window (`Store` semantics).
    func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?, idempotency: IdempotencyClaim) async throws -> RunCreation
    func run(_ id: EntityID) async throws -> WorkflowRun
    func listRuns(workflowID: EntityID?, status: RunStatus?, limit: Int, cursor: String?) async throws -> (runs: [WorkflowRun], next: String?)
    /// Every attempt of every step of a run.
    func stepRuns(runID: EntityID) async throws -> [StepRun]
    /// Stores a waiting step's wait (timer, signal, child run) so a restart re-arms it.
    func saveRunWait(_ wait: RunWait, owner: String) async throws
    /// Every wait of a run.
    func runWaits(runID: EntityID) async throws -> [RunWait]
    /// The journal's group commit (`Store.commitJournal`): the run rows, step rows and events
    /// of several runs in ONE transaction, each run fenced on its own (held by `batch.owner` or
    /// nobody; events continuing the stored seq). Refused runs are left out whole and named in
    /// the outcome; throws (and writes nothing) when the transaction itself fails.
    func commit(_ batch: JournalBatch) async throws -> JournalBatch.Outcome
    /// Events with `seq > after`, oldest first.
    func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent]
    /// Highest stored seq of a run (0 if none).
    func lastEventSeq(runID: EntityID) async throws -> Int64
    /// Runs `owner` holds that are queued or running (crash recovery).
    func recoverableRuns(owner: String) async throws -> [WorkflowRun]
    /// Claims a run if free, already ours, or its lease expired; nil when another kernel holds it.
    func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun?
    /// Unfinished runs held by another kernel whose lease expired, oldest first.
    func expiredRuns(excludingOwner owner: String, limit: Int) async throws -> [WorkflowRun]
    /// Takes a run over from `previousOwner` if its lease is still expired (atomic: one
    /// kernel wins), with the audit entry in the same transaction; nil when it lost.
    func takeOverRun(id: EntityID, from previousOwner: String, owner: String, leaseMilliseconds: Int64,
                     audit: ActionLog?) async throws -> WorkflowRun?
    /// Extends the leases of every unfinished run `owner` holds.
    func renewLeases(owner: String, leaseMilliseconds: Int64) async throws
}

/// What the engine needs from the catalogue: workflows and exact component versions.
@KernelActor
public protocol EngineCatalog: AnyObject {
    /// The workflow (by id or name) and one of its versions (latest when nil).
    func workflow(_ idOrName: String, version: Int?) async throws -> (Workflow, WorkflowVersion)
    /// A component (by id or name) and one of its versions (latest when nil).
    func component(_ idOrName: String, version: Int?) async throws -> (Component, ComponentVersion)
    /// The named workspace variables and secrets (plaintext; missing names left out).
    func workspaceValues(variables: [String], secrets: [String]) async throws -> WorkspaceValues
}

extension EngineCatalog {
    /// A catalogue without workspace values (tests' in-memory store): none are set.
    public func workspaceValues(variables: [String], secrets: [String]) async throws -> WorkspaceValues { WorkspaceValues() }
}

/// Workspace variables and secrets by name, as a step's references read them.
public struct WorkspaceValues: Sendable, Equatable {
    public var variables: [String: String]
    public var secrets: [String: String]
    public init(variables: [String: String] = [:], secrets: [String: String] = [:]) {
        self.variables = variables; self.secrets = secrets
    }
}
