import KernelCore
import KernelLoop

/// `run_waits`: what waiting steps wait for (timers, signals, child runs), kept so that a
/// restart re-arms them. Fenced like step rows: only the kernel holding the run writes them.
extension SQLStore {
    static let waitColumns = "run_id, step_id, attempt, kind, due_at, signal, child_run_id, inputs, created_at, resolved_at, outcome, payload"

    static func waitRow(_ r: SQLRow) throws -> RunWait {
        guard let outcome = RunWait.Outcome(rawValue: r.string(10)) else {
            throw KernelError.internal("stored wait outcome '\(r.string(10))' is unknown")
        }
        return RunWait(runID: r.string(0), stepID: r.string(1), attempt: Int(r.int(2)), kind: r.string(3), dueAt: r.optionalTime(4),
                       signal: r.optionalString(5), childRunID: r.optionalString(6), inputs: try r.json(7), createdAt: r.time(8),
                       resolvedAt: r.optionalTime(9), outcome: outcome, payload: try r.json(11))
    }

    public func saveRunWait(_ wait: RunWait, heldBy owner: String?) async throws {
        try await database.write { tx in
            try await self.requireHeld(wait.runID, by: owner, tx)
            try await tx.execute(
                """
                INSERT INTO run_waits (\(SQLStore.waitColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, step_id, attempt) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at,
                  signal = excluded.signal, child_run_id = excluded.child_run_id, inputs = excluded.inputs,
                  resolved_at = excluded.resolved_at, outcome = excluded.outcome, payload = excluded.payload
                """,
                [.text(wait.runID), .text(wait.stepID), .int(Int64(wait.attempt)), .text(wait.kind), .time(wait.dueAt),
                 .optionalText(wait.signal), .optionalText(wait.childRunID), .json(wait.inputs), .time(wait.createdAt),
                 .time(wait.resolvedAt), .text(wait.outcome.rawValue), .json(wait.payload)])
        }
    }

    public func runWaits(runID: EntityID) async throws -> [RunWait] {
        try await database.read { db in
            try await db.query("SELECT \(SQLStore.waitColumns) FROM run_waits WHERE run_id = ? ORDER BY step_id, attempt",
                               [.text(runID)]).map(SQLStore.waitRow)
        }
    }
}
