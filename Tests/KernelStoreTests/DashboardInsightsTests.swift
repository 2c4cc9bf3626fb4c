import KernelCore
import KernelLoop
import Testing
@testable import KernelStore

/// `dashboardInsights` (issue 19) on both backends: ranking by use then update,
/// runs per day over the window, success rate, and entity names.
@Suite("Dashboard insights (both backends)")
@KernelActor
struct DashboardInsightsTests {
    @Test("components ranked by use then by update; workflows by runs with runs per day; names of entities", arguments: Backend.enabled)
    func insights(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let day = SQLStore.dayMilliseconds
        let now = Timestamp.now()
        let used = Make.component("Used a lot", at: Timestamp(milliseconds: now.milliseconds - 3 * day))
        let idle = Make.component("Idle but new", at: now)
        let old = Make.component("Idle and old", at: Timestamp(milliseconds: now.milliseconds - 9 * day))
        for c in [used, idle, old] { _ = try await store.createComponent(c, config: [:], audit: Make.audit("create", "component", c.id)) }
        let def: JSON = ["steps": [["id": "s1", "component": .string(used.id)]]]
        let busy = Workflow(id: Identifier.uuid(), name: "Busy", definition: def, createdAt: now, updatedAt: now)
        let quiet = Workflow(id: Identifier.uuid(), name: "Quiet", definition: def, createdAt: now, updatedAt: now)
        for w in [busy, quiet] { _ = try await store.createWorkflow(w, audit: Make.audit("create", "workflow", w.id)) }
        // Busy: two runs today (one succeeded, one failed), one 3 days ago (succeeded), one outside the window.
        // Quiet: one run today, still queued.
        let plan: [(Workflow, Int64, RunStatus?)] = [(busy, 0, .succeeded), (busy, 0, .failed), (busy, 3, .succeeded), (busy, 8, .succeeded), (quiet, 0, nil)]
        var runIDs: [String] = []
        for (w, daysAgo, status) in plan {
            let at = Timestamp(milliseconds: now.milliseconds - daysAgo * day - 1000)
            let r = Make.run(w.id, at: at)
            let step = StepRun(runID: r.id, stepID: "s1", componentID: used.id, componentVersion: 1)
            _ = try await store.createRun(r, steps: [step], audit: Make.audit("run", "workflow_run", r.id))
            if let status {
                try await store.saveStepRun(StepRun(runID: r.id, stepID: "s1", status: .succeeded, componentID: used.id, componentVersion: 1, startedAt: at, finishedAt: at))
                _ = try await store.updateRun(id: r.id, changes: RunChanges(status: .running, startedAt: at), audit: nil)
                _ = try await store.updateRun(id: r.id, changes: RunChanges(status: status, finishedAt: at), audit: nil)
            }
            runIDs.append(r.id)
        }
        let ins = try await store.dashboardInsights(now: now, names: [("component", idle.id), ("workflow", quiet.id), ("workflow_run", runIDs[0]),
                                                                       ("connection", "no-such-connection")])
        #expect(ins.windowDays == 7)
        #expect(ins.recommended.map(\.name) == ["Used a lot", "Idle but new", "Idle and old"])
        #expect(ins.recommended[0].reason == .mostUsed && ins.recommended[0].uses == 3 && ins.recommended[0].workflows == 2)
        #expect(ins.recommended[1].reason == .recentlyUpdated && ins.recommended[1].uses == 0)
        #expect(ins.trending.map(\.name) == ["Busy", "Quiet"])
        let b = ins.trending[0]
        #expect(b.runs == 3 && b.succeeded == 2 && b.finished == 3)
        #expect(b.daily.count == 7 && b.daily.reduce(0, +) == 3 && b.daily[6] == 2 && b.daily[3] == 1)
        #expect(ins.trending[1].runs == 1 && ins.trending[1].finished == 0)
        #expect(ins.trending[1].successRate == nil && b.successRate == 2.0 / 3.0)
        #expect(ins.names == [idle.id: "Idle but new", quiet.id: "Quiet"])
        #expect(ins.runWorkflowNames == [runIDs[0]: "Busy"])
    }
}
