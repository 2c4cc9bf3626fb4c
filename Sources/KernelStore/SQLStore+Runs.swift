import KernelCore
import KernelLoop

extension SQLStore {
    static let runColumns = "id, workflow_id, workflow_version, status, inputs, outputs, error, pinned, created_at, started_at, finished_at, owner, lease_expires_at, run_trigger"
    static let stepColumns = "run_id, step_id, attempt, status, component_id, component_version, result, error, started_at, finished_at"
    static let eventColumns = "run_id, seq, type, step_id, payload, at"
    /// Rows per multi-row INSERT of events.
    static let eventInsertChunk = 200
    /// Rows per multi-row upsert of step rows.
    static let stepUpsertChunk = 100

    static func runRow(_ r: SQLRow) throws -> WorkflowRun {
        guard let status = RunStatus(rawValue: r.string(3)) else { throw KernelError.internal("stored run status '\(r.string(3))' is unknown") }
        return WorkflowRun(id: r.string(0), workflowID: r.string(1), workflowVersion: Int(r.int(2)), status: status,
                           inputs: try r.json(4), outputs: try r.json(5), error: r.optionalString(6), pinned: try r.json(7),
                           createdAt: r.time(8), startedAt: r.optionalTime(9), finishedAt: r.optionalTime(10),
                           owner: r.optionalString(11), leaseExpiresAt: r.optionalTime(12),
                           trigger: try r.json(13))
    }

    static func stepRow(_ r: SQLRow) throws -> StepRun {
        guard let status = StepStatus(rawValue: r.string(3)) else { throw KernelError.internal("stored step status '\(r.string(3))' is unknown") }
        return StepRun(runID: r.string(0), stepID: r.string(1), attempt: Int(r.int(2)), status: status, componentID: r.string(4),
                       componentVersion: Int(r.int(5)), result: try r.json(6), error: r.optionalString(7),
                       startedAt: r.optionalTime(8), finishedAt: r.optionalTime(9))
    }

    static func eventRow(_ r: SQLRow) throws -> RunEvent {
        guard let type = RunEvent.Kind(rawValue: r.string(2)) else { throw KernelError.internal("stored event type '\(r.string(2))' is unknown") }
        return RunEvent(runID: r.string(0), seq: r.int(1), type: type, stepID: r.optionalString(3), payload: try r.json(4), at: r.time(5))
    }

    public func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?) async throws -> WorkflowRun {
        try await database.write { tx in try await self.insertRun(run, steps: steps, audit: audit, tx) }
        return run
    }

    /// The run row, its step rows and the audit entry, inside the caller's transaction. A run
    /// nobody holds is on the shared queue: the insert wakes the kernels (NOTIFY, delivered at commit).
    func insertRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?, _ tx: SQLExecutor) async throws {
        try await tx.execute(
            "INSERT INTO workflow_runs (\(SQLStore.runColumns), last_seq, concurrency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [.text(run.id), .text(run.workflowID), .int(Int64(run.workflowVersion)), .text(run.status.rawValue), .json(run.inputs),
             .json(run.outputs), .optionalText(run.error), .json(run.pinned), .time(run.createdAt), .time(run.startedAt),
             .time(run.finishedAt), .optionalText(run.owner), .time(run.leaseExpiresAt),
             run.trigger.isNull ? .null : .json(run.trigger), run.concurrencyLimit.map { .int(Int64($0)) } ?? .null])
        try await self.upsertSteps(steps, tx)
        if let audit { try await self.insertAudit(audit, tx) }
        if run.owner == nil, run.status == .queued { try await self.notify(SQLStore.queueChannel, "", tx) }
    }

    public func claimRun(id: EntityID, owner: String, leaseMilliseconds: Int64) async throws -> WorkflowRun? {
        let now = Timestamp.now().milliseconds
        return try await database.write { tx in
            let rows = try await tx.query(
                """
                UPDATE workflow_runs SET owner = ?, lease_expires_at = ?
                WHERE id = ? AND (owner IS NULL OR owner = ? OR lease_expires_at IS NULL OR lease_expires_at < ?)
                RETURNING \(SQLStore.runColumns)
                """,
                [.text(owner), .int(now + leaseMilliseconds), .text(id), .text(owner), .int(now)])
            if let row = rows.first { return try SQLStore.runRow(row) }
            guard try await tx.first("SELECT id FROM workflow_runs WHERE id = ?", [.text(id)]) != nil else {
                throw KernelError.notFound("run \(id) not found")
            }
            return nil
        }
    }

    public func expiredRuns(excludingOwner owner: String, limit: Int) async throws -> [WorkflowRun] {
        let now = Timestamp.now().milliseconds
        return try await database.read { db in
            let rows = try await db.query(
                """
                SELECT \(SQLStore.runColumns) FROM workflow_runs
                WHERE status IN ('queued', 'running') AND owner IS NOT NULL AND owner <> ?
                  AND lease_expires_at IS NOT NULL AND lease_expires_at < ?
                ORDER BY created_at, id LIMIT ?
                """,
                [.text(owner), .int(now), .int(Int64(max(1, limit)))])
            return try rows.map(SQLStore.runRow)
        }
    }

    public func takeOverRun(id: EntityID, from previousOwner: String, owner: String, leaseMilliseconds: Int64,
                            audit: ActionLog?) async throws -> WorkflowRun? {
        let now = Timestamp.now().milliseconds
        return try await database.write { tx in
            // The arbiter: one UPDATE that only matches while the previous owner still holds an
            // expired lease. On PostgreSQL the row lock serialises rivals (the loser re-checks the
            // WHERE against the winner's row and matches nothing); SQLite has one writer.
            let rows = try await tx.query(
                """
                UPDATE workflow_runs SET owner = ?, lease_expires_at = ?
                WHERE id = ? AND owner = ? AND owner <> ? AND status IN ('queued', 'running')
                  AND lease_expires_at IS NOT NULL AND lease_expires_at < ?
                RETURNING \(SQLStore.runColumns)
                """,
                [.text(owner), .int(now + leaseMilliseconds), .text(id), .text(previousOwner), .text(owner), .int(now)])
            guard let row = rows.first else { return nil }
            if let audit { try await self.insertAudit(audit, tx) }
            return try SQLStore.runRow(row)
        }
    }

    public func renewLeases(owner: String, leaseMilliseconds: Int64) async throws -> Int {
        let until = Timestamp.now().milliseconds + leaseMilliseconds
        return try await database.write { tx in
            let rows = try await tx.query(
                "UPDATE workflow_runs SET lease_expires_at = ? WHERE owner = ? AND status IN ('queued', 'running') RETURNING id",
                [.int(until), .text(owner)])
            return rows.count
        }
    }

    public func updateRun(id: EntityID, changes: RunChanges, audit: ActionLog?) async throws -> WorkflowRun {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.runColumns) FROM workflow_runs WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("run \(id) not found")
            }
            var run = try SQLStore.runRow(row)
            if let expected = changes.expectedStatus, run.status != expected {
                throw KernelError.conflict("run \(id) is \(run.status.rawValue), not \(expected.rawValue)")
            }
            if let status = changes.status, status != run.status {
                guard run.status.canMove(to: status) else {
                    throw KernelError.conflict("run \(id) cannot move from \(run.status.rawValue) to \(status.rawValue)")
                }
                run.status = status
            }
            if let o = changes.outputs { run.outputs = o }
            if let e = changes.error { run.error = e }
            if let s = changes.startedAt { run.startedAt = s }
            if let f = changes.finishedAt { run.finishedAt = f }
            if changes.clearOwner { run.owner = nil; run.leaseExpiresAt = nil }
            try await tx.execute(
                """
                UPDATE workflow_runs SET status = ?, outputs = ?, error = ?, started_at = ?, finished_at = ?, owner = ?, lease_expires_at = ?
                WHERE id = ?
                """,
                [.text(run.status.rawValue), .json(run.outputs), .optionalText(run.error), .time(run.startedAt), .time(run.finishedAt),
                 .optionalText(run.owner), .time(run.leaseExpiresAt), .text(id)])
            if let audit { try await self.insertAudit(audit, tx) }
            return run
        }
    }

    public func saveRun(_ run: WorkflowRun) async throws {
        // Fenced: a kernel that lost the run (another took it over) cannot overwrite it.
        let fence = run.owner == nil ? "" : " AND (owner IS NULL OR owner = ?)"
        var (assignments, params) = SQLStore.runRowAssignments(run)
        params.append(.text(run.id))
        if let owner = run.owner { params.append(.text(owner)) }
        try await database.write { tx in
            let rows = try await tx.query("UPDATE workflow_runs SET \(assignments) WHERE id = ?\(fence) RETURNING id", params)
            if rows.isEmpty {
                guard let row = try await tx.first("SELECT owner FROM workflow_runs WHERE id = ?", [.text(run.id)]) else {
                    throw KernelError.notFound("run \(run.id) not found")
                }
                throw KernelError.conflict("run \(run.id) is held by kernel \(row.optionalString(0) ?? "none"), not \(run.owner ?? "none")")
            }
        }
    }

    /// The `SET` list (and its parameters) that replaces a run row as given. A live lease is only
    /// ever moved by claims and renewals (a copy held in memory would be stale and could make a
    /// healthy run look expired); a replacement only clears it (run finished).
    static func runRowAssignments(_ run: WorkflowRun) -> (String, [SQLValue]) {
        let lease = run.leaseExpiresAt == nil ? "lease_expires_at = NULL" : "lease_expires_at = lease_expires_at"
        return ("""
                workflow_id = ?, workflow_version = ?, status = ?, inputs = ?, outputs = ?, error = ?, pinned = ?,
                  created_at = ?, started_at = ?, finished_at = ?, owner = ?, \(lease)
                """,
                [.text(run.workflowID), .int(Int64(run.workflowVersion)), .text(run.status.rawValue), .json(run.inputs), .json(run.outputs),
                 .optionalText(run.error), .json(run.pinned), .time(run.createdAt), .time(run.startedAt), .time(run.finishedAt),
                 .optionalText(run.owner)])
    }

    public func run(_ id: EntityID) async throws -> WorkflowRun {
        try await database.read { db in
            guard let row = try await db.first("SELECT \(SQLStore.runColumns) FROM workflow_runs WHERE id = ?", [.text(id)]) else {
                throw KernelError.notFound("run \(id) not found")
            }
            return try SQLStore.runRow(row)
        }
    }

    public func listRuns(_ query: RunQuery) async throws -> Page<WorkflowRun> {
        var clauses: [String] = []
        var params: [SQLValue] = []
        if let w = query.workflowID { clauses.append("workflow_id = ?"); params.append(.text(w)) }
        if let s = query.status { clauses.append("status = ?"); params.append(.text(s.rawValue)) }
        return try await page("workflow_runs", columns: SQLStore.runColumns, where: clauses, params, cursor: query.cursor,
                              limit: query.limit, row: SQLStore.runRow, key: { ($0.createdAt, $0.id) })
    }

    public func recoverableRuns(owner: String) async throws -> [WorkflowRun] {
        try await database.read { db in
            let rows = try await db.query(
                "SELECT \(SQLStore.runColumns) FROM workflow_runs WHERE owner = ? AND status IN ('queued', 'running') ORDER BY created_at, id",
                [.text(owner)])
            return try rows.map(SQLStore.runRow)
        }
    }

    // MARK: steps

    /// Inserts or replaces step rows, `stepUpsertChunk` per statement (at most one row per
    /// (run, step, attempt) in a statement: the last one given wins).
    func upsertSteps(_ steps: [StepRun], _ tx: SQLExecutor) async throws {
        var rows: [StepRun] = []
        if steps.count > 1 {
            var at: [String: Int] = [:]
            rows.reserveCapacity(steps.count)
            for s in steps {
                let key = "\(s.runID)/\(s.stepID)/\(s.attempt)"
                if let i = at[key] { rows[i] = s } else { at[key] = rows.count; rows.append(s) }
            }
        } else {
            rows = steps
        }
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + SQLStore.stepUpsertChunk, rows.count)]
            let tuples = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            var params: [SQLValue] = []
            params.reserveCapacity(chunk.count * 10)
            for s in chunk {
                params += [.text(s.runID), .text(s.stepID), .int(Int64(s.attempt)), .text(s.status.rawValue), .text(s.componentID),
                           .int(Int64(s.componentVersion)), .json(s.result), .optionalText(s.error), .time(s.startedAt), .time(s.finishedAt)]
            }
            try await tx.execute(
                """
                INSERT INTO step_runs (\(SQLStore.stepColumns)) VALUES \(tuples)
                ON CONFLICT (run_id, step_id, attempt) DO UPDATE SET status = excluded.status, component_id = excluded.component_id,
                  component_version = excluded.component_version, result = excluded.result, error = excluded.error,
                  started_at = excluded.started_at, finished_at = excluded.finished_at
                """, params)
            start += chunk.count
        }
    }

    public func saveStepRun(_ step: StepRun) async throws { try await saveStepRun(step, heldBy: nil) }

    public func saveStepRun(_ step: StepRun, heldBy owner: String?) async throws {
        try await database.write { tx in
            try await self.requireHeld(step.runID, by: owner, tx)
            try await self.upsertSteps([step], tx)
        }
    }

    /// Locks the run's row; `conflict` when `owner` is given and another kernel holds the run.
    func requireHeld(_ runID: EntityID, by owner: String?, _ tx: SQLExecutor) async throws {
        guard let run = try await tx.first("SELECT owner FROM workflow_runs WHERE id = ?\(forUpdate)", [.text(runID)]) else {
            throw KernelError.notFound("run \(runID) not found")
        }
        if let owner, let holder = run.optionalString(0), holder != owner {
            throw KernelError.conflict("run \(runID) is held by kernel \(holder), not \(owner)")
        }
    }

    public func stepRuns(runID: EntityID) async throws -> [StepRun] {
        try await database.read { db in
            let rows = try await db.query("SELECT \(SQLStore.stepColumns) FROM step_runs WHERE run_id = ? ORDER BY step_id, attempt", [.text(runID)])
            return try rows.map(SQLStore.stepRow)
        }
    }

    // MARK: events

    public func appendEvents(_ batch: [NewRunEvent]) async throws -> [RunEvent] {
        if batch.isEmpty { return [] }
        // Group per run, keeping batch order inside a run; lock runs in id order
        // so concurrent batches on PostgreSQL cannot deadlock.
        var order: [EntityID] = []
        var groups: [EntityID: [NewRunEvent]] = [:]
        for e in batch {
            if groups[e.runID] == nil { order.append(e.runID) }
            groups[e.runID, default: []].append(e)
        }
        let runIDs = order.sorted()
        return try await database.write { tx in
            var out: [RunEvent] = []
            out.reserveCapacity(batch.count)
            for runID in runIDs {
                let events = groups[runID] ?? []
                guard let row = try await tx.first(
                    "UPDATE workflow_runs SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq",
                    [.int(Int64(events.count)), .text(runID)]) else {
                    throw KernelError.notFound("run \(runID) not found")
                }
                var seq = row.int(0) - Int64(events.count)
                var stored: [RunEvent] = []
                for e in events {
                    seq += 1
                    stored.append(RunEvent(runID: runID, seq: seq, type: e.type, stepID: e.stepID, payload: e.payload, at: e.at))
                }
                try await self.insertEventRows(stored, tx)
                out += stored
            }
            return out
        }
    }

    public func insertEvents(_ events: [RunEvent]) async throws {
        if events.isEmpty { return }
        var groups: [EntityID: [RunEvent]] = [:]
        for e in events { groups[e.runID, default: []].append(e) }
        for (runID, list) in groups {
            for (i, e) in list.enumerated() where i > 0 && e.seq != list[i - 1].seq + 1 {
                throw KernelError.conflict("events of run \(runID) are not contiguous: seq \(e.seq) follows \(list[i - 1].seq)")
            }
        }
        let runIDs = groups.keys.sorted()
        try await database.write { tx in
            for runID in runIDs {
                let list = groups[runID] ?? []
                guard let first = list.first, let last = list.last else { continue }
                let updated = try await tx.query(
                    "UPDATE workflow_runs SET last_seq = ? WHERE id = ? AND last_seq = ? RETURNING id",
                    [.int(last.seq), .text(runID), .int(first.seq - 1)])
                if updated.isEmpty {
                    guard let row = try await tx.first("SELECT last_seq FROM workflow_runs WHERE id = ?", [.text(runID)]) else {
                        throw KernelError.notFound("run \(runID) not found")
                    }
                    throw KernelError.conflict("run \(runID) has events up to seq \(row.int(0)); the next must be \(row.int(0) + 1), not \(first.seq)")
                }
                try await self.insertEventRows(list, tx)
            }
        }
    }

    func insertEventRows(_ stored: [RunEvent], _ tx: SQLExecutor) async throws {
        var start = 0
        while start < stored.count {
            let chunk = stored[start..<min(start + SQLStore.eventInsertChunk, stored.count)]
            let tuples = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            var params: [SQLValue] = []
            params.reserveCapacity(chunk.count * 6)
            for e in chunk {
                params += [.text(e.runID), .int(e.seq), .text(e.type.rawValue), .optionalText(e.stepID), .json(e.payload), .time(e.at)]
            }
            try await tx.execute("INSERT INTO run_events (\(SQLStore.eventColumns)) VALUES \(tuples)", params)
            start += chunk.count
        }
    }

    public func lastEventSeq(runID: EntityID) async throws -> Int64 {
        try await database.read { db in
            guard let row = try await db.first("SELECT last_seq FROM workflow_runs WHERE id = ?", [.text(runID)]) else {
                throw KernelError.notFound("run \(runID) not found")
            }
            return row.int(0)
        }
    }

    public func events(runID: EntityID, after: Int64, limit: Int) async throws -> [RunEvent] {
        let limit = StoreLimits.clamp(limit, default: StoreLimits.defaultEventPage, max: StoreLimits.maxEventPage)
        return try await database.read { db in
            let rows = try await db.query(
                "SELECT \(SQLStore.eventColumns) FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                [.text(runID), .int(after), .int(Int64(limit))])
            return try rows.map(SQLStore.eventRow)
        }
    }
}
