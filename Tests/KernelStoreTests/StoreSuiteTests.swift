import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelStore

/// The one store suite, run against SQLite and PostgreSQL.
@Suite("Store (shared suite, both backends)")
@KernelActor
struct StoreSuiteTests {
    func expectKind(_ kind: KernelError.Kind, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(kind.rawValue), got success", sourceLocation: sourceLocation)
        } catch let e as KernelError {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected KernelError \(kind.rawValue), got \(error)", sourceLocation: sourceLocation)
        }
    }

    func auditCount(_ store: SQLStore, _ entityID: String) async throws -> Int {
        try await store.listAudit(AuditQuery(entityID: entityID, limit: 1000)).count
    }

    @Test("component versions append only when the checksum changes; audit rows land with each mutation", arguments: Backend.enabled)
    func componentVersions(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let c = Make.component("Summariser", tags: ["nlp"])
        let (created, v1) = try await store.createComponent(c, config: ["codeContent": "print(1)"], audit: Make.audit("create", "component", c.id))
        #expect(created.latestVersion == 1)
        #expect(v1.version == 1)
        #expect(v1.checksum == (["codeContent": "print(1)"] as JSON).contentChecksum)
        #expect(try await auditCount(store, c.id) == 1)

        // Same config (key order differs, canonical JSON is equal): no new version.
        let same = try await store.updateComponent(id: c.id, changes: ComponentChanges(description: "d2", config: ["codeContent": "print(1)"]),
                                                   audit: Make.audit("update", "component", c.id))
        #expect(same.appendedVersion == nil)
        #expect(same.component.latestVersion == 1)
        #expect(same.component.description == "d2")

        let changed = try await store.updateComponent(id: c.id, changes: ComponentChanges(config: ["codeContent": "print(2)"]),
                                                      audit: Make.audit("update", "component", c.id))
        #expect(changed.appendedVersion?.version == 2)
        #expect(changed.component.latestVersion == 2)
        let versions = try await store.componentVersions(c.id)
        #expect(versions.map(\.version) == [1, 2])
        #expect(try await store.componentVersion(c.id, version: 1).config == ["codeContent": "print(1)"])
        #expect(try await store.componentVersion(c.id, version: nil).config == ["codeContent": "print(2)"])
        #expect(try await store.component(c.id).latestVersion == 2)
        #expect(try await store.component("summariser").id == c.id)
        #expect(try await auditCount(store, c.id) == 3)
        await expectKind(.notFound) { _ = try await store.componentVersion(c.id, version: 9) }
        await expectKind(.notFound) { _ = try await store.component(Identifier.uuid()) }
    }

    @Test("names are unique case-insensitively; a refused mutation writes no audit row", arguments: Backend.enabled)
    func uniqueNames(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let a = Make.component("Loader")
        _ = try await store.createComponent(a, config: [:], audit: Make.audit("create", "component", a.id))
        let b = Make.component("LOADER")
        await expectKind(.conflict) { _ = try await store.createComponent(b, config: [:], audit: Make.audit("create", "component", b.id)) }
        #expect(try await auditCount(store, b.id) == 0)
        let other = Make.component("Other")
        _ = try await store.createComponent(other, config: [:], audit: Make.audit("create", "component", other.id))
        await expectKind(.conflict) {
            _ = try await store.updateComponent(id: other.id, changes: ComponentChanges(name: "loader"), audit: Make.audit("update", "component", other.id))
        }
        #expect(try await auditCount(store, other.id) == 1)
    }

    @Test("the audit row commits in the same transaction: a failing audit insert undoes the mutation", arguments: Backend.enabled)
    func auditAtomicity(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let first = Make.component("First")
        let auditID = Identifier.uuid()
        _ = try await store.createComponent(first, config: [:], audit: Make.audit("create", "component", first.id, auditID: auditID))
        // Reusing the audit id makes the audit INSERT fail after the component INSERT succeeded.
        let second = Make.component("Second")
        await expectKind(.conflict) {
            _ = try await store.createComponent(second, config: [:], audit: Make.audit("create", "component", second.id, auditID: auditID))
        }
        await expectKind(.notFound) { _ = try await store.component(second.id) }
        // Same for an update and a delete.
        await expectKind(.conflict) {
            _ = try await store.updateComponent(id: first.id, changes: ComponentChanges(name: "Renamed", config: ["a": 1]),
                                                audit: Make.audit("update", "component", first.id, auditID: auditID))
        }
        let still = try await store.component(first.id)
        #expect(still.name == "First")
        #expect(still.latestVersion == 1)
        await expectKind(.conflict) {
            try await store.deleteComponent(id: first.id, force: false, audit: Make.audit("delete", "component", first.id, auditID: auditID))
        }
        #expect(try await store.component(first.id).id == first.id)
        let conn = Connection(id: Identifier.uuid(), name: "db", plugin: "sqlite", config: [:], createdAt: .now(), updatedAt: .now())
        await expectKind(.conflict) {
            _ = try await store.createConnection(conn, secret: "pw", audit: Make.audit("create", "connection", conn.id, auditID: auditID))
        }
        await expectKind(.notFound) { _ = try await store.connection(conn.id) }
    }

    @Test("cursor pagination and type/tag/q filters", arguments: Backend.enabled)
    func pagination(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let base = Timestamp.now().milliseconds
        var ids: [String] = []
        for i in 0..<7 {
            // Two share a timestamp, to exercise the id tie-break of the cursor.
            let at = Timestamp(milliseconds: base + Int64(i == 3 ? 2 : i))
            let c = Make.component("comp-\(i)", type: i % 2 == 0 ? .pythonScript : .data, tags: i < 3 ? ["etl", "x\(i)"] : [], at: at)
            _ = try await store.createComponent(c, config: ["i": JSON(i)], audit: Make.audit("create", "component", c.id))
            ids.append(c.id)
        }
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.listComponents(ComponentQuery(limit: 3, cursor: cursor))
            seen += page.items.map(\.id)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen.count == 7)
        #expect(Set(seen) == Set(ids))
        let data = try await store.listComponents(ComponentQuery(type: .data))
        #expect(data.items.count == 3)
        #expect(data.items.allSatisfy { $0.type == .data })
        let etl = try await store.listComponents(ComponentQuery(tag: "etl"))
        #expect(Set(etl.items.map(\.name)) == ["comp-0", "comp-1", "comp-2"])
        let q = try await store.listComponents(ComponentQuery(q: "COMP-5"))
        #expect(q.items.map(\.name) == ["comp-5"])
        let none = try await store.listComponents(ComponentQuery(q: "%"))
        #expect(none.items.isEmpty)
        await expectKind(.invalidParams) { _ = try await store.listComponents(ComponentQuery(cursor: "garbage")) }
    }

    @Test("deleting a component a workflow references is refused unless forced; workflow versions", arguments: Backend.enabled)
    func referencedDelete(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let a = Make.component("Alpha"), b = Make.component("Beta")
        _ = try await store.createComponent(a, config: [:], audit: Make.audit("create", "component", a.id))
        _ = try await store.createComponent(b, config: [:], audit: Make.audit("create", "component", b.id))
        let def: JSON = ["steps": [["id": "s1", "component": .string(a.id)], ["id": "s2", "component": "beta", "needs": ["s1"]]]]
        let now = Timestamp.now()
        let w = Workflow(id: Identifier.uuid(), name: "Pipeline", definition: def, createdAt: now, updatedAt: now)
        let (cw, wv1) = try await store.createWorkflow(w, audit: Make.audit("create", "workflow", w.id))
        #expect(cw.latestVersion == 1 && wv1.version == 1)
        await expectKind(.conflict) { try await store.deleteComponent(id: a.id, force: false, audit: Make.audit("delete", "component", a.id)) }
        await expectKind(.conflict) { try await store.deleteComponent(id: b.id, force: false, audit: Make.audit("delete", "component", b.id)) }
        #expect(try await auditCount(store, a.id) == 1)
        // Same definition: no version; changed: v2 that no longer references Beta.
        let same = try await store.updateWorkflow(id: w.id, changes: WorkflowChanges(definition: def), audit: Make.audit("update", "workflow", w.id))
        #expect(same.appendedVersion == nil)
        let def2: JSON = ["steps": [["id": "s1", "component": .string(a.id)]]]
        let upd = try await store.updateWorkflow(id: w.id, changes: WorkflowChanges(definition: def2), audit: Make.audit("update", "workflow", w.id))
        #expect(upd.appendedVersion?.version == 2)
        #expect(try await store.workflowVersions(w.id).map(\.version) == [1, 2])
        #expect(try await store.workflow("pipeline").definition == def2)
        try await store.deleteComponent(id: b.id, force: false, audit: Make.audit("delete", "component", b.id))
        await expectKind(.notFound) { _ = try await store.component(b.id) }
        try await store.deleteComponent(id: a.id, force: true, audit: Make.audit("delete", "component", a.id))
        await expectKind(.notFound) { _ = try await store.componentVersions(a.id) }
        #expect(try await auditCount(store, a.id) == 2)
        try await store.deleteWorkflow(id: w.id, audit: Make.audit("delete", "workflow", w.id))
        await expectKind(.notFound) { _ = try await store.workflow(w.id) }
        #expect(try await store.listWorkflows(WorkflowQuery()).items.isEmpty)
    }

    @Test("event seqs are contiguous per run under concurrent batched appends", arguments: Backend.enabled)
    func eventSeqContiguity(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        var runs: [String] = []
        for _ in 0..<4 {
            let r = Make.run("wf")
            _ = try await store.createRun(r, steps: [], audit: nil)
            runs.append(r.id)
        }
        let tasks = 24, perBatch = 15
        try await withThrowingTaskGroup(of: [RunEvent].self) { group in
            for t in 0..<tasks {
                let batch = (0..<perBatch).map { i in
                    NewRunEvent(runID: runs[(t + i) % runs.count], type: .log, stepID: "s", payload: ["task": JSON(t), "i": JSON(i)])
                }
                group.addTask { @KernelActor in try await store.appendEvents(batch) }
            }
            for try await stored in group {
                // Inside one batch, one run's events are consecutive.
                var last: [String: Int64] = [:]
                for e in stored {
                    if let p = last[e.runID] { #expect(e.seq == p + 1) }
                    last[e.runID] = e.seq
                }
            }
        }
        var total = 0
        for id in runs {
            let events = try await store.events(runID: id, after: 0, limit: 10_000)
            #expect(events.map(\.seq) == Array(1...Int64(events.count)))
            total += events.count
            let tail = try await store.events(runID: id, after: 5, limit: 3)
            #expect(tail.map(\.seq) == [6, 7, 8])
        }
        #expect(total == tasks * perBatch)
        await expectKind(.notFound) { _ = try await store.appendEvents([NewRunEvent(runID: "nope", type: .log, payload: [:])]) }
    }

    @Test("runs: claims with owner and lease, status transitions, listing, recovery", arguments: Backend.enabled)
    func runs(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let base = Timestamp.now().milliseconds
        var ids: [String] = []
        for i in 0..<5 {
            let r = Make.run(i < 3 ? "wf-a" : "wf-b", at: Timestamp(milliseconds: base + Int64(i)))
            let step = StepRun(runID: r.id, stepID: "s1", componentID: "c", componentVersion: 1)
            _ = try await store.createRun(r, steps: [step], audit: Make.audit("run", "workflow_run", r.id))
            ids.append(r.id)
        }
        let claimed = try await store.claimQueuedRuns(owner: "k1", leaseMilliseconds: 60_000, limit: 2)
        #expect(claimed.map(\.id) == Array(ids[0..<2]))
        #expect(claimed.allSatisfy { $0.owner == "k1" })
        #expect(try await store.claimRun(id: ids[0], owner: "k2", leaseMilliseconds: 60_000) == nil)
        #expect(try await store.claimRun(id: ids[0], owner: "k1", leaseMilliseconds: 60_000)?.owner == "k1")
        let rest = try await store.claimQueuedRuns(owner: "k2", leaseMilliseconds: 60_000, limit: 10)
        #expect(Set(rest.map(\.id)) == Set(ids[2...]))
        #expect(try await store.renewLeases(owner: "k1", leaseMilliseconds: 120_000) == 2)

        let started = try await store.updateRun(id: ids[0], changes: RunChanges(status: .running, startedAt: .now()), audit: nil)
        #expect(started.status == .running)
        await expectKind(.conflict) { _ = try await store.updateRun(id: ids[0], changes: RunChanges(status: .queued), audit: nil) }
        await expectKind(.conflict) { _ = try await store.updateRun(id: ids[0], changes: RunChanges(status: .failed, expectedStatus: .queued), audit: nil) }
        var s = StepRun(runID: ids[0], stepID: "s1", status: .running, componentID: "c", componentVersion: 1, startedAt: .now())
        try await store.saveStepRun(s)
        s.status = .failed; s.error = "boom"; s.finishedAt = .now()
        try await store.saveStepRun(s)
        var s2 = s
        s2.attempt = 2; s2.status = .succeeded; s2.error = nil; s2.result = ["ok": true]
        try await store.saveStepRun(s2)
        let steps = try await store.stepRuns(runID: ids[0])
        #expect(steps.map(\.attempt) == [1, 2])
        #expect(steps[0].error == "boom" && steps[1].result == ["ok": true])
        let done = try await store.updateRun(id: ids[0], changes: RunChanges(status: .succeeded, outputs: ["r": 1], finishedAt: .now(), clearOwner: true),
                                              audit: Make.audit("finish", "workflow_run", ids[0]))
        #expect(done.status == .succeeded && done.owner == nil && done.outputs == ["r": 1])
        #expect(try await store.run(ids[0]).status == .succeeded)

        let recover = try await store.recoverableRuns(owner: "k1")
        #expect(recover.map(\.id) == [ids[1]])
        let a = try await store.listRuns(RunQuery(workflowID: "wf-a", limit: 2))
        #expect(a.items.count == 2 && a.nextCursor != nil)
        let a2 = try await store.listRuns(RunQuery(workflowID: "wf-a", limit: 2, cursor: a.nextCursor))
        #expect(a2.items.count == 1 && a2.nextCursor == nil)
        #expect(Set((a.items + a2.items).map(\.id)) == Set(ids[0..<3]))
        #expect(try await store.listRuns(RunQuery(status: .succeeded)).items.map(\.id) == [ids[0]])

        let summary = try await store.dashboardSummary(now: .now())
        #expect(summary.activeRuns == 0)
        #expect(summary.queuedRuns == 4)
        #expect(summary.completedToday == 1)
        #expect(summary.totalRuns == 5)
        #expect(summary.successRate7d == 1.0)
        #expect(summary.recentActivity.first?.actionType == "finish")
        let latest = try #require(summary.recentActivity.first)
        #expect(try await store.actionLog(id: latest.id) == latest)
        await expectKind(.notFound) { _ = try await store.actionLog(id: "no-such-entry") }
    }

    @Test("connection secrets are sealed at rest, never returned, unsealable only with the key", arguments: Backend.enabled)
    func sealedSecrets(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        let plaintext = "hunter2-PLAINTEXT-\(Identifier.uuid())"
        let now = Timestamp.now()
        let c = Connection(id: Identifier.uuid(), name: "Warehouse", plugin: "postgres", config: ["host": "db"], createdAt: now, updatedAt: now)
        let created = try await store.createConnection(c, secret: plaintext,
                                                       audit: Make.audit("create", "connection", c.id, details: ["name": "Warehouse", "secret": .string(plaintext)]))
        #expect(created.hasSecret)
        #expect(!created.json.serialized().contains(plaintext))
        let fetched = try await store.connection("warehouse")
        #expect(fetched.hasSecret && !fetched.json.serialized().contains(plaintext))
        let raw = try await store.database.read { try await $0.first("SELECT secret_sealed FROM connections WHERE id = ?", [.text(c.id)]) }
        let sealed = raw?.optionalString(0) ?? ""
        #expect(sealed.hasPrefix("x1:"))
        #expect(!sealed.contains(plaintext))
        let audit = try await store.listAudit(AuditQuery(entityType: "connection"))
        #expect(audit.first?.details["secret"] == "set")
        #expect(!audit.map { $0.json.serialized() }.joined().contains(plaintext))
        #expect(try await store.unsealSecret(connectionID: c.id) == plaintext)
        var st = stat()
        #expect(stat(fx.home + "/secret.key", &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)

        let updated = try await store.updateConnection(id: c.id, changes: ConnectionChanges(config: ["host": "db2"], secret: .clear),
                                                       audit: Make.audit("update", "connection", c.id))
        #expect(!updated.hasSecret && updated.config == ["host": "db2"])
        #expect(try await store.unsealSecret(connectionID: c.id) == nil)
        _ = try await store.updateConnection(id: c.id, changes: ConnectionChanges(secret: .set(plaintext)), audit: Make.audit("update", "connection", c.id))
        #expect(try await store.unsealSecret(connectionID: c.id) == plaintext)
        // A sealed value moved to another row does not open (the id is authenticated).
        #expect(throws: KernelError.self) { _ = try store.secrets.unseal(sealed, context: "other-id") }
        await store.close()
        if backend == .sqlite {
            let bytes = fileBytes(fx.sqlitePath) + fileBytes(fx.sqlitePath + "-wal")
            #expect(!bytes.isEmpty)
            #expect(!contains(bytes, plaintext))
            #expect(contains(bytes, "Warehouse"))
        }
    }

    @Test("data survives close and reopen; migrations are not re-applied", arguments: Backend.enabled)
    func reopen(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        let c = Make.component("Keeper")
        _ = try await store.createComponent(c, config: ["k": "v"], audit: Make.audit("create", "component", c.id))
        let r = Make.run("wf")
        _ = try await store.createRun(r, steps: [], audit: nil)
        _ = try await store.appendEvents([NewRunEvent(runID: r.id, type: .statusChange, payload: ["status": "queued"])])
        await store.close()
        await expectKind(.unavailable) { _ = try await store.component(c.id) }

        let again = try await fx.open()
        defer { Task { await again.close() } }
        #expect(try await again.migrate() == [])
        #expect(try await again.component("keeper").id == c.id)
        #expect(try await again.componentVersion(c.id, version: 1).config == ["k": "v"])
        let next = try await again.appendEvents([NewRunEvent(runID: r.id, type: .log, payload: ["line": "x"])])
        #expect(next.map(\.seq) == [2])
        #expect(try await auditCount(again, c.id) == 1)
        #expect(try await again.ping() >= 0)
    }

    @Test("two migrators at once apply each migration exactly once", arguments: Backend.enabled)
    func concurrentMigrators(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        async let s1 = fx.open()
        async let s2 = fx.open()
        let (a, b) = try await (s1, s2)
        let rows = try await a.database.read { try await $0.query("SELECT version FROM schema_migrations ORDER BY version") }
        #expect(rows.map { Int($0.int(0)) } == Migration.all.map(\.version))
        let c = Make.component("Shared")
        _ = try await a.createComponent(c, config: [:], audit: Make.audit("create", "component", c.id))
        #expect(try await b.component(c.id).name == "Shared")
        await a.close()
        await b.close()
    }
}

/// Caller-assigned seqs (the engine's path) keep the no-gap rule.
@Suite("Store: caller-assigned event seqs and saveRun")
@KernelActor
struct StoreEngineSeamTests {
    @Test("insertEvents accepts only the next contiguous seqs; saveRun replaces the row", arguments: Backend.enabled)
    func insertEvents(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let r = Make.run("wf"), r2 = Make.run("wf")
        _ = try await store.createRun(r, steps: [], audit: nil)
        _ = try await store.createRun(r2, steps: [], audit: nil)
        func ev(_ run: String, _ seq: Int64) -> RunEvent { RunEvent(runID: run, seq: seq, type: .log, payload: ["n": .int(seq)], at: .now()) }
        try await store.insertEvents([ev(r.id, 1), ev(r2.id, 1), ev(r.id, 2), ev(r.id, 3)])
        #expect(try await store.lastEventSeq(runID: r.id) == 3)
        #expect(try await store.lastEventSeq(runID: r2.id) == 1)
        // A gap, a repeat, and a non-contiguous batch are refused, and nothing of the batch is written.
        for bad in [[ev(r.id, 5)], [ev(r.id, 3)], [ev(r2.id, 2), ev(r.id, 4), ev(r.id, 6)]] {
            do {
                try await store.insertEvents(bad)
                Issue.record("accepted \(bad.map(\.seq))")
            } catch let e as KernelError {
                #expect(e.kind == .conflict, "\(e)")
            }
        }
        #expect(try await store.lastEventSeq(runID: r2.id) == 1)
        #expect(try await store.events(runID: r.id, after: 0, limit: 100).map(\.seq) == [1, 2, 3])
        // Store-assigned appends continue the same sequence.
        #expect(try await store.appendEvents([NewRunEvent(runID: r.id, type: .end, payload: [:])]).map(\.seq) == [4])

        var run = try await store.run(r.id)
        run.status = .failed
        run.error = "interrupted by kernel restart"
        run.owner = nil
        run.finishedAt = .now()
        try await store.saveRun(run)
        let back = try await store.run(r.id)
        #expect(back.status == .failed && back.error == "interrupted by kernel restart" && back.owner == nil)
        var ghost = run
        ghost.id = Identifier.uuid()
        do {
            try await store.saveRun(ghost)
            Issue.record("saved an unknown run")
        } catch let e as KernelError {
            #expect(e.kind == .notFound)
        }
        do {
            _ = try await store.lastEventSeq(runID: ghost.id)
            Issue.record("seq of an unknown run")
        } catch let e as KernelError {
            #expect(e.kind == .notFound)
        }
    }
}

/// Two kernels on one database: no double claims, no "database is locked".
@Suite("Store: two kernels sharing one database")
@KernelActor
struct StoreSharedDatabaseTests {
    @Test("concurrent claims from two stores never hand a run to both; concurrent writes all succeed", arguments: Backend.enabled)
    func twoKernels(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let a = try await fx.open()
        let b = try await fx.open()
        defer { Task { await a.close(); await b.close() } }
        let base = Timestamp.now().milliseconds
        var ids: Set<String> = []
        for i in 0..<30 {
            let r = Make.run("wf", at: Timestamp(milliseconds: base + Int64(i)))
            _ = try await a.createRun(r, steps: [], audit: nil)
            ids.insert(r.id)
        }
        @Sendable func drain(_ store: SQLStore, _ owner: String) async throws -> [String] {
            var got: [String] = []
            while true {
                let claimed = try await store.claimQueuedRuns(owner: owner, leaseMilliseconds: 60_000, limit: 2)
                if claimed.isEmpty { return got }
                got += claimed.map(\.id)
            }
        }
        async let fromA = drain(a, "kernel-a")
        async let fromB = drain(b, "kernel-b")
        let (ra, rb) = try await (fromA, fromB)
        #expect(Set(ra).isDisjoint(with: Set(rb)))
        #expect(Set(ra).union(Set(rb)) == ids)
        #expect(ra.count + rb.count == ids.count)

        // Interleaved writers on both stores (two writer connections on SQLite): none fails.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                let store = i % 2 == 0 ? a : b
                group.addTask { @KernelActor in
                    let c = Make.component("shared-\(i)")
                    _ = try await store.createComponent(c, config: ["i": JSON(i)], audit: Make.audit("create", "component", c.id))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await a.listComponents(ComponentQuery(limit: 100)).items.count == 40)
        #expect(try await b.dashboardSummary(now: .now()).totalComponents == 40)
    }
}
