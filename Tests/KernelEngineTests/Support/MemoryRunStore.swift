import KernelCore
import KernelEngine
import KernelLoop

/// An in-memory `RunStore` + `EngineCatalog` for the engine's in-process tests (the kernel
/// itself uses the real Store). It keeps the same contracts: contiguous seqs are checked on
/// append, claims honour owner and lease.
@KernelActor
final class MemoryRunStore: RunStore, EngineCatalog {
    var runs: [EntityID: WorkflowRun] = [:]
    var runOrder: [EntityID] = []
    var steps: [String: StepRun] = [:]
    var eventLog: [EntityID: [RunEvent]] = [:]
    var appendCalls = 0
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

    /// Like SQLStore: fenced on the owner; the lease is kept unless cleared.
    func saveRun(_ run: WorkflowRun) async throws {
        var r = run
        if let stored = runs[run.id] {
            if let o = stored.owner, let mine = run.owner, o != mine {
                throw KernelError.conflict("run \(run.id) is held by kernel \(o), not \(mine)")
            }
            if run.leaseExpiresAt != nil { r.leaseExpiresAt = stored.leaseExpiresAt }
        }
        runs[run.id] = r
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

    func saveStepRun(_ step: StepRun, heldBy owner: String) async throws {
        if let holder = runs[step.runID]?.owner, holder != owner {
            throw KernelError.conflict("run \(step.runID) is held by kernel \(holder), not \(owner)")
        }
        steps["\(step.runID)/\(step.stepID)/\(step.attempt)"] = step
    }

    func stepRuns(runID: EntityID) async throws -> [StepRun] {
        steps.values.filter { $0.runID == runID }.sorted { ($0.stepID, $0.attempt) < ($1.stepID, $1.attempt) }
    }

    func appendEvents(_ events: [RunEvent]) async throws {
        appendCalls += 1
        for e in events {
            let last = eventLog[e.runID]?.last?.seq ?? 0
            guard e.seq == last + 1 else { throw KernelError.conflict("seq gap: \(e.seq) after \(last)") }
            eventLog[e.runID, default: []].append(e)
        }
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
