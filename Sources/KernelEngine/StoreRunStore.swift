import KernelCore
import KernelLoop
import KernelStore
import Logging

/// The kernel's `Store` seen through the engine's `RunStore` and `EngineCatalog`. The engine
/// assigns each run's seqs (it is the only writer of a run it holds the claim of); the store
/// persists them with the journal's group commit (`commitJournal`), refusing a gap or a repeat.
@KernelActor
public final class StoreRunStore: RunStore, EngineCatalog, SharedRunQueue {
    public let store: any Store
    let logger: Logger

    public init(store: any Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?) async throws {
        _ = try await store.createRun(run, steps: steps, audit: audit)
    }

    public func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?, idempotency: IdempotencyClaim) async throws -> RunCreation {
        try await store.createRun(run, steps: steps, audit: audit, idempotency: idempotency)
    }

    public func workspaceValues(variables: [String], secrets: [String]) async throws -> WorkspaceValues {
        guard let values = store as? any WorkspaceValueStore else { return WorkspaceValues() }
        return WorkspaceValues(variables: try await values.workspaceVariables(variables),
                               secrets: try await values.unsealWorkspaceSecrets(secrets))
    }

    public func run(_ id: EntityID) async throws -> WorkflowRun { try await store.run(id) }

    public func listRuns(workflowID: EntityID?, status: RunStatus?, limit: Int, cursor: String?) async throws -> (runs: [WorkflowRun], next: String?) {
        let page = try await store.listRuns(RunQuery(workflowID: workflowID, status: status, limit: limit, cursor: cursor))
        return (page.items, page.nextCursor)
    }

    public func stepRuns(runID: EntityID) async throws -> [StepRun] { try await store.stepRuns(runID: runID) }

    public func saveRunWait(_ wait: RunWait, owner: String) async throws { try await store.saveRunWait(wait, heldBy: owner) }

    public func runWaits(runID: EntityID) async throws -> [RunWait] { try await store.runWaits(runID: runID) }

    /// Events carry the engine's seqs; the store refuses a gap or a repeat per run.
    public func commit(_ batch: JournalBatch) async throws -> JournalBatch.Outcome { try await store.commitJournal(batch) }

    public func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent] {
        try await store.events(runID: runID, after: after, limit: limit)
    }

    public func lastEventSeq(runID: EntityID) async throws -> Int64 { try await store.lastEventSeq(runID: runID) }

    public func recoverableRuns(owner: String) async throws -> [WorkflowRun] { try await store.recoverableRuns(owner: owner) }

    public func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun? {
        try await store.claimRun(id: id, owner: owner, leaseMilliseconds: leaseMilliseconds)
    }

    public func expiredRuns(excludingOwner owner: String, limit: Int) async throws -> [WorkflowRun] {
        try await store.expiredRuns(excludingOwner: owner, limit: limit)
    }

    public func takeOverRun(id: EntityID, from previousOwner: String, owner: String, leaseMilliseconds: Int64,
                            audit: ActionLog?) async throws -> WorkflowRun? {
        try await store.takeOverRun(id: id, from: previousOwner, owner: owner, leaseMilliseconds: leaseMilliseconds, audit: audit)
    }

    public func renewLeases(owner: String, leaseMilliseconds: Int64) async throws {
        _ = try await store.renewLeases(owner: owner, leaseMilliseconds: leaseMilliseconds)
    }

    // MARK: SharedRunQueue (a PostgreSQL store; see `sharedQueue`)

    public func claimQueuedRuns(owner: String, leaseMilliseconds: Int64, limit: Int) async throws -> [WorkflowRun] {
        try await store.claimQueuedRuns(owner: owner, leaseMilliseconds: leaseMilliseconds, limit: limit)
    }

    public func handBackRuns(owner: String) async throws -> (queued: Int, running: Int) { try await store.handBackRuns(owner: owner) }

    public func notifyQueue(_ payload: String) async throws { try await store.notifyQueue(payload) }

    public func recordKernel(_ kernel: KernelRecord) async throws { try await store.recordKernel(kernel) }

    // MARK: EngineCatalog

    public func workflow(_ idOrName: String, version: Int?) async throws -> (Workflow, WorkflowVersion) {
        let w = try await store.workflow(idOrName)
        return (w, try await store.workflowVersion(w.id, version: version))
    }

    public func component(_ idOrName: String, version: Int?) async throws -> (Component, ComponentVersion) {
        let c = try await store.component(idOrName)
        return (c, try await store.componentVersion(c.id, version: version))
    }
}
