import KernelCore
import KernelEngine
import KernelLoop
import KernelStore

/// An in-memory `RunStore` + `EngineCatalog` for the engine's in-process tests (the kernel
/// itself uses the real Store). It keeps the same contracts: contiguous seqs are checked on
/// append, claims honour owner and lease.
@KernelActor
final class MemoryRunStore: RunStore, EngineCatalog {
    var runs: [EntityID: WorkflowRun] = [:]
    var runOrder: [EntityID] = []
    var steps: [String: StepRun] = [:]
    var eventLog: [EntityID: [RunEvent]] = [:]
    /// `commit` calls that reached the store (succeeded or refused runs).
    var commitCalls = 0
    /// Every batch committed, in order (for ordering tests).
    var committed: [JournalBatch] = []
    /// The next this many commits fail as if the store were unreachable (nothing written).
    var failNextCommits = 0
    /// Called with each batch before it is applied (tests observe publish-after-store).
    var onCommit: ((JournalBatch) -> Void)?
    var workflows: [String: (Workflow, [WorkflowVersion])] = [:]
    var components: [String: (Component, [ComponentVersion])] = [:]

    init() {}

    // MARK: catalogue fixtures

    @discardableResult
    func addComponent(_ name: String, _ type: ComponentType, _ config: JSON) -> Component {
        let now = Timestamp.now()
        let c = Component(id: Identifier.uuid(), name: name, type: type, createdAt: now, updatedAt: now)
        components[c.id] = (c, [ComponentVersion(componentID: c.id, version: 1, type: type, config: config, checksum: "", createdAt: now)])
        return c
    }

    @discardableResult
    func addWorkflow(_ name: String, _ definition: JSON) -> Workflow {
        let now = Timestamp.now()
        let w = Workflow(id: Identifier.uuid(), name: name, definition: definition, createdAt: now, updatedAt: now)
        workflows[w.id] = (w, [WorkflowVersion(workflowID: w.id, version: 1, definition: definition, checksum: "", createdAt: now)])
        return w
    }

    func workflow(_ idOrName: String, version: Int?) async throws -> (Workflow, WorkflowVersion) {
        guard let (w, vs) = workflows[idOrName] ?? workflows.values.first(where: { $0.0.name == idOrName }) else {
            throw KernelError.notFound("workflow '\(idOrName)' not found")
        }
        guard let v = version.map({ n in vs.first { $0.version == n } }) ?? vs.last else { throw KernelError.notFound("no such version") }
        return (w, v)
    }

    func component(_ idOrName: String, version: Int?) async throws -> (Component, ComponentVersion) {
        guard let (c, vs) = components[idOrName] ?? components.values.first(where: { $0.0.name == idOrName }) else {
            throw KernelError.notFound("component '\(idOrName)' not found")
        }
        guard let v = version.map({ n in vs.first { $0.version == n } }) ?? vs.last else { throw KernelError.notFound("no such version") }
        return (c, v)
    }

    // MARK: RunStore

    func createRun(_ run: WorkflowRun, steps rows: [StepRun], audit: ActionLog?) async throws {
        runs[run.id] = run
        runOrder.append(run.id)
        for r in rows { steps["\(r.runID)/\(r.stepID)/\(r.attempt)"] = r }
    }

    /// Keys remembered forever (the window is the SQL stores' concern).
    var idempotencyKeys: [String: (run: EntityID, workflow: EntityID)] = [:]

    func createRun(_ run: WorkflowRun, steps rows: [StepRun], audit: ActionLog?, idempotency: IdempotencyClaim) async throws -> RunCreation {
        if let known = idempotencyKeys[idempotency.key] { return .existing(runID: known.run, workflowID: known.workflow) }
        idempotencyKeys[idempotency.key] = (run.id, run.workflowID)
        try await createRun(run, steps: rows, audit: audit)
        return .created
    }

    func run(_ id: EntityID) async throws -> WorkflowRun {
        guard let r = runs[id] else { throw KernelError.notFound("run \(id) not found") }
        return r
    }

    func listRuns(workflowID: EntityID?, status: RunStatus?, limit: Int, cursor: String?) async throws -> (runs: [WorkflowRun], next: String?) {
        let all = runOrder.reversed().compactMap { runs[$0] }.filter {
            (workflowID == nil || $0.workflowID == workflowID) && (status == nil || $0.status == status)
        }
        let start = cursor.flatMap(Int.init) ?? 0
        let page = Array(all.dropFirst(start).prefix(limit))
        return (page, start + page.count < all.count ? String(start + page.count) : nil)
    }

    func stepRuns(runID: EntityID) async throws -> [StepRun] {
        steps.values.filter { $0.runID == runID }.sorted { ($0.stepID, $0.attempt) < ($1.stepID, $1.attempt) }
    }

    var waits: [String: RunWait] = [:]

    func saveRunWait(_ wait: RunWait, owner: String) async throws {
        if let holder = runs[wait.runID]?.owner, holder != owner { throw KernelError.conflict("run \(wait.runID) is held by kernel \(holder)") }
        waits["\(wait.runID)/\(wait.stepID)/\(wait.attempt)"] = wait
    }

    func runWaits(runID: EntityID) async throws -> [RunWait] {
        waits.values.filter { $0.runID == runID }.sorted { ($0.stepID, $0.attempt) < ($1.stepID, $1.attempt) }
    }

    /// Like SQLStore.commitJournal: each run's part is fenced on the owner and on the next
    /// contiguous seq, a refused run is left out whole; the lease is kept unless cleared.
    func commit(_ batch: JournalBatch) async throws -> JournalBatch.Outcome {
        if failNextCommits > 0 {
            failNextCommits -= 1
            throw KernelError.unavailable("store unreachable (test)")
        }
        commitCalls += 1
        onCommit?(batch)
        var refused: [EntityID: KernelError] = [:]
        var seqs: [EntityID: Int64] = [:]
        for id in batch.runIDs {
            guard let stored = runs[id] else { refused[id] = .notFound("run \(id) not found"); continue }
            if let o = stored.owner, o != batch.owner { refused[id] = .conflict("run \(id) is held by kernel \(o), not \(batch.owner)") }
            seqs[id] = eventLog[id]?.last?.seq ?? 0
        }
        for e in batch.events where refused[e.runID] == nil {
            guard e.seq == (seqs[e.runID] ?? 0) + 1 else {
                refused[e.runID] = .conflict("seq gap: \(e.seq) after \(seqs[e.runID] ?? 0)")
                continue
            }
            seqs[e.runID] = e.seq
        }
        for var r in batch.runs where refused[r.id] == nil {
            if r.leaseExpiresAt != nil { r.leaseExpiresAt = runs[r.id]?.leaseExpiresAt }
            runs[r.id] = r
        }
        for s in batch.steps where refused[s.runID] == nil { steps["\(s.runID)/\(s.stepID)/\(s.attempt)"] = s }
        for e in batch.events where refused[e.runID] == nil { eventLog[e.runID, default: []].append(e) }
        committed.append(batch)
        return JournalBatch.Outcome(refused: refused)
    }

    func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent] {
        Array((eventLog[runID] ?? []).filter { $0.seq > after }.prefix(limit))
    }

    func lastEventSeq(runID: EntityID) async throws -> Int64 { eventLog[runID]?.last?.seq ?? 0 }

    func recoverableRuns(owner: String) async throws -> [WorkflowRun] {
        runs.values.filter { $0.owner == owner && !$0.status.isTerminal }
    }

    func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun? {
        guard var r = runs[id] else { return nil }
        let now = Timestamp.now()
        if let o = r.owner, o != owner, let exp = r.leaseExpiresAt, exp > now { return nil }
        r.owner = owner
        r.leaseExpiresAt = Timestamp(milliseconds: now.milliseconds + leaseMilliseconds)
        runs[id] = r
        return r
    }

    func expiredRuns(excludingOwner owner: String, limit: Int) async throws -> [WorkflowRun] {
        let now = Timestamp.now()
        return Array(runs.values.filter { r in
            guard let o = r.owner, o != owner, !r.status.isTerminal, let exp = r.leaseExpiresAt else { return false }
            return exp < now
        }.sorted { $0.createdAt < $1.createdAt }.prefix(limit))
    }

    func takeOverRun(id: EntityID, from previousOwner: String, owner: String, leaseMilliseconds: Int64,
                     audit: ActionLog?) async throws -> WorkflowRun? {
        guard var r = runs[id], r.owner == previousOwner, previousOwner != owner, !r.status.isTerminal,
              let exp = r.leaseExpiresAt, exp < Timestamp.now() else { return nil }
        r.owner = owner
        r.leaseExpiresAt = Timestamp(milliseconds: Timestamp.now().milliseconds + leaseMilliseconds)
        runs[id] = r
        return r
    }

    /// When set, lease renewals fail as if the store were unreachable.
    var failRenewals = false

    func renewLeases(owner: String, leaseMilliseconds: Int64) async throws {
        if failRenewals { throw KernelError.unavailable("store unreachable (test)") }
        for (id, r) in runs where r.owner == owner && !r.status.isTerminal {
            runs[id]?.leaseExpiresAt = Timestamp(milliseconds: Timestamp.now().milliseconds + leaseMilliseconds)
        }
    }
}
