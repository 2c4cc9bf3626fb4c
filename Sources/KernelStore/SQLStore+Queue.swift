import KernelCore
import KernelLoop

/// The shared run queue of several kernels on one PostgreSQL (docs/ARCHITECTURE.md "Scale-out"):
/// batch claims that honour each workflow's `concurrency` across kernels, NOTIFY wake-ups,
/// hand-back at a clean stop, and the `kernels` table of the cluster.
extension SQLStore {
    /// NOTIFY channel: a run was queued unowned or handed back (payload `""`, or
    /// `SQLStore.sweepPayload` when runs were handed back and are up for takeover at once).
    public nonisolated static let queueChannel = "mcpk_queue"
    /// NOTIFY channel: the journal committed events (payload `run_id:last_seq`, comma-separated).
    public nonisolated static let eventsChannel = "mcpk_events"
    /// Payload on `queueChannel` asking kernels to run a takeover sweep now.
    public nonisolated static let sweepPayload = "sweep"
    /// Largest NOTIFY payload sent (PostgreSQL's limit is 8000 bytes); longer lists are split.
    public nonisolated static let maxNotifyPayloadBytes = 7000
    /// Candidate rows read per claimed run at most: candidates of workflows at their
    /// concurrency limit are passed over, so the batch looks further down the queue.
    static let claimCandidateFactor = 4

    /// Claims up to `limit` queued runs nobody holds (or whose lease expired), oldest first,
    /// in ONE transaction: candidates are locked `FOR UPDATE SKIP LOCKED` (rows a rival kernel
    /// is claiming are skipped, not waited for); for a workflow with a `concurrency` limit the
    /// runs held by any kernel are counted under a per-workflow advisory lock (rivals claiming
    /// runs of the same workflow serialise there, so together they never exceed the limit).
    public func claimQueuedRuns(owner: String, leaseMilliseconds: Int64, limit: Int) async throws -> [WorkflowRun] {
        let now = Timestamp.now().milliseconds
        let want = max(1, limit)
        return try await database.write { tx in
            func lockCandidates(_ count: Int) async throws -> [(id: EntityID, workflow: EntityID, limit: Int?)] {
                try await tx.query(
                    """
                    SELECT id, workflow_id, concurrency FROM workflow_runs
                    WHERE status = 'queued' AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ?)
                    ORDER BY created_at, id LIMIT ?\(self.dialect.skipLocked)
                    """,
                    [.int(now), .int(Int64(count))]).map { (id: $0.string(0), workflow: $0.string(1), limit: $0.isNull(2) ? nil : Int($0.int(2))) }
            }
            // Lock only the batch first: when none of it is limited (the common case) the claim
            // takes all it locked, hides nothing from rivals and so needs no NOTIFY of its own
            // (a NOTIFY per claim woke every kernel to claim again: a storm that serialised on
            // PostgreSQL's commit-time notification lock and slowed submissions 4×, bench/scale).
            // Only a batch holding limited runs widens to `claimCandidateFactor` × the batch (our
            // own row locks do not skip us), so runs of a workflow at its limit can be passed over.
            var candidates = try await lockCandidates(want)
            if candidates.contains(where: { $0.limit != nil }) {
                candidates = try await lockCandidates(want * SQLStore.claimCandidateFactor)
            }
            var held: [EntityID: Int] = [:]
            for workflow in Set(candidates.compactMap { $0.limit == nil ? nil : $0.workflow }).sorted() {
                if self.dialect == .postgres {
                    _ = try await tx.query("SELECT pg_advisory_xact_lock(hashtext(?))", [.text("mcpk.workflow:" + workflow)])
                }
                // Held slots: running runs (also those of a dead kernel, until taken over) and
                // queued runs a live claim holds.
                let count = try await tx.first(
                    """
                    SELECT COUNT(*) FROM workflow_runs WHERE workflow_id = ?
                      AND (status = 'running' OR (status = 'queued' AND owner IS NOT NULL AND lease_expires_at >= ?))
                    """,
                    [.text(workflow), .int(now)])
                held[workflow] = Int(count?.int(0) ?? 0)
            }
            var chosen: [EntityID] = []
            var examined = 0
            for c in candidates where chosen.count < want {
                examined += 1
                if let limit = c.limit {
                    guard (held[c.workflow] ?? 0) < limit else { continue }
                    held[c.workflow, default: 0] += 1
                }
                chosen.append(c.id)
            }
            // Candidates locked beyond the batch were skipped by rivals meanwhile: wake them at
            // commit so none concludes the queue is empty. (Runs passed over because their
            // workflow is at its limit are not: the run that frees the slot NOTIFYs when it ends.)
            if examined < candidates.count { try await self.notify(SQLStore.queueChannel, "", tx) }
            guard !chosen.isEmpty else { return [] }
            let marks = Array(repeating: "?", count: chosen.count).joined(separator: ", ")
            let claimed = try await tx.query(
                "UPDATE workflow_runs SET owner = ?, lease_expires_at = ? WHERE id IN (\(marks)) RETURNING \(SQLStore.runColumns)",
                [.text(owner), .int(now + leaseMilliseconds)] + chosen.map { .text($0) })
            return try claimed.map(SQLStore.runRow).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    /// A kernel stopping cleanly hands its work back at once instead of letting the leases run
    /// out: queued runs it holds become unowned (claimable by any kernel), the leases of its
    /// running runs expire now (the next takeover sweep of any kernel continues them), and the
    /// other kernels are woken (`sweepPayload`). Returns (queued, running) counts.
    public func handBackRuns(owner: String) async throws -> (queued: Int, running: Int) {
        let now = Timestamp.now().milliseconds
        return try await database.write { tx in
            let queued = try await tx.query(
                "UPDATE workflow_runs SET owner = NULL, lease_expires_at = NULL WHERE owner = ? AND status = 'queued' RETURNING id",
                [.text(owner)])
            let running = try await tx.query(
                "UPDATE workflow_runs SET lease_expires_at = ? WHERE owner = ? AND status = 'running' RETURNING id",
                [.int(now - 1), .text(owner)])
            if !queued.isEmpty || !running.isEmpty { try await self.notify(SQLStore.queueChannel, SQLStore.sweepPayload, tx) }
            return (queued.count, running.count)
        }
    }

    /// Wakes the kernels listening on the queue (PostgreSQL; a single SQLite kernel has no one to wake).
    public func notifyQueue(_ payload: String = "") async throws {
        guard dialect == .postgres else { return }
        try await database.write { tx in try await self.notify(SQLStore.queueChannel, payload, tx) }
    }

    /// `NOTIFY` inside a transaction: delivered when (and only if) it commits. PostgreSQL only.
    func notify(_ channel: String, _ payload: String, _ tx: SQLExecutor) async throws {
        guard dialect == .postgres else { return }
        _ = try await tx.query("SELECT pg_notify(?, ?)", [.text(channel), .text(payload)])
    }

    /// Payloads for `eventsChannel`: `run_id:last_seq` entries joined by commas, each payload
    /// at most `maxNotifyPayloadBytes`.
    static func eventPayloads(_ lastSeqs: [(EntityID, Int64)]) -> [String] {
        var out: [String] = []
        var current = ""
        for (id, seq) in lastSeqs {
            let entry = "\(id):\(seq)"
            if !current.isEmpty, current.utf8.count + 1 + entry.utf8.count > maxNotifyPayloadBytes {
                out.append(current)
                current = ""
            }
            current += current.isEmpty ? entry : "," + entry
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    // MARK: kernels

    /// The kernel's heartbeat: its row in `kernels` (inserted or replaced).
    public func recordKernel(_ k: KernelRecord) async throws {
        _ = try await database.write { tx in
            try await tx.execute(
                """
                INSERT INTO kernels (id, host, version, started_at, heartbeat_at, running_steps, capacity, active_runs, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, version = excluded.version, started_at = excluded.started_at,
                  heartbeat_at = excluded.heartbeat_at, running_steps = excluded.running_steps, capacity = excluded.capacity,
                  active_runs = excluded.active_runs, state = excluded.state
                """,
                [.text(k.id), .text(k.host), .text(k.version), .time(k.startedAt), .time(k.heartbeatAt),
                 .int(Int64(k.runningSteps)), .int(Int64(k.capacity)), .int(Int64(k.activeRuns)), .text(k.state.rawValue)])
        }
    }

    /// Every kernel that has written a heartbeat to this store, by id.
    public func kernels() async throws -> [KernelRecord] {
        try await database.read { db in
            let rows = try await db.query(
                "SELECT id, host, version, started_at, heartbeat_at, running_steps, capacity, active_runs, state FROM kernels ORDER BY id", [])
            return try rows.map { r in
                guard let state = KernelRecord.State(rawValue: r.string(8)) else {
                    throw KernelError.internal("stored kernel state '\(r.string(8))' is unknown")
                }
                return KernelRecord(id: r.string(0), host: r.string(1), version: r.string(2), startedAt: r.time(3), heartbeatAt: r.time(4),
                                    runningSteps: Int(r.int(5)), capacity: Int(r.int(6)), activeRuns: Int(r.int(7)), state: state)
            }
        }
    }
}
