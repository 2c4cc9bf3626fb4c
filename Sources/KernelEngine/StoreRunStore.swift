import KernelCore
import KernelLoop
import KernelStore
import Logging

/// The kernel's `Store` seen through the engine's `RunStore` and `EngineCatalog`.
/// The store assigns seqs itself (from `workflow_runs.last_seq`); the engine assigns the same
/// numbers because it is the only writer of a run it holds, and a mismatch is reported.
@KernelActor
public final class StoreRunStore: RunStore, EngineCatalog {
    public let store: any Store
    let logger: Logger

    public init(store: any Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?) async throws {
        _ = try await store.createRun(run, steps: steps, audit: audit)
    }

    public func saveRun(_ run: WorkflowRun) async throws {
        let changes = RunChanges(status: run.status, outputs: run.outputs, error: run.error, startedAt: run.startedAt,
                                 finishedAt: run.finishedAt, clearOwner: run.status.isTerminal)
        _ = try await store.updateRun(id: run.id, changes: changes, audit: nil)
    }

    public func run(_ id: EntityID) async throws -> WorkflowRun { try await store.run(id) }

    public func listRuns(workflowID: EntityID?, status: RunStatus?, limit: Int, cursor: String?) async throws -> (runs: [WorkflowRun], next: String?) {
        let page = try await store.listRuns(RunQuery(workflowID: workflowID, status: status, limit: limit, cursor: cursor))
        return (page.items, page.nextCursor)
    }

    public func saveStepRun(_ step: StepRun) async throws { try await store.saveStepRun(step) }

    public func stepRuns(runID: EntityID) async throws -> [StepRun] { try await store.stepRuns(runID: runID) }

    public func appendEvents(_ events: [RunEvent]) async throws {
        let stored = try await store.appendEvents(events.map {
            NewRunEvent(runID: $0.runID, type: $0.type, stepID: $0.stepID, payload: $0.payload, at: $0.at)
        })
        var mine: [EntityID: [Int64]] = [:]
        var theirs: [EntityID: [Int64]] = [:]
        for e in events { mine[e.runID, default: []].append(e.seq) }
        for e in stored { theirs[e.runID, default: []].append(e.seq) }
        if mine != theirs {
            logger.error("run event seqs diverged between engine and store", metadata: ["engine": "\(mine)", "store": "\(theirs)"])
        }
    }

    public func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent] {
        try await store.events(runID: runID, after: after, limit: limit)
    }

    public func lastEventSeq(runID: EntityID) async throws -> Int64 {
        var last: Int64 = 0
        while true {
            let page = try await store.events(runID: runID, after: last, limit: StoreLimits.maxEventPage)
            guard let l = page.last?.seq else { return last }
            last = l
            if page.count < StoreLimits.maxEventPage { return last }
        }
    }

    public func recoverableRuns(owner: String) async throws -> [WorkflowRun] { try await store.recoverableRuns(owner: owner) }

    public func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun? {
        try await store.claimRun(id: id, owner: owner, leaseMilliseconds: leaseMilliseconds)
    }

    public func renewLeases(owner: String, leaseMilliseconds: Int64) async throws {
        _ = try await store.renewLeases(owner: owner, leaseMilliseconds: leaseMilliseconds)
    }

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
