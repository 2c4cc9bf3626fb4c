import KernelCore
import KernelLoop

extension SQLStore {
    /// `workflow.run {idempotency_key}`: the key is claimed in the run's own transaction. The
    /// primary key on `run_idempotency_keys` lets exactly one of several concurrent inserts win
    /// (on PostgreSQL the losers wait for the winner's commit, then read its run; SQLite
    /// serialises writers); a key older than the window is taken over by the new run.
    public func createRun(_ run: WorkflowRun, steps: [StepRun], audit: ActionLog?,
                          idempotency: IdempotencyClaim) async throws -> RunCreation {
        let now = run.createdAt
        let horizon = now.milliseconds - idempotency.windowMilliseconds
        return try await database.write { tx in
            // Forgotten keys go first (an index range on created_at): the table holds one window.
            try await tx.execute("DELETE FROM run_idempotency_keys WHERE created_at < ?", [.int(horizon)])
            let won = try await tx.query(
                """
                INSERT INTO run_idempotency_keys (idempotency_key, run_id, workflow_id, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (idempotency_key) DO NOTHING RETURNING run_id
                """, [.text(idempotency.key), .text(run.id), .text(run.workflowID), .time(now)])
            if won.isEmpty {
                guard let row = try await tx.first(
                    "SELECT run_id, workflow_id, created_at FROM run_idempotency_keys WHERE idempotency_key = ?\(self.forUpdate)",
                    [.text(idempotency.key)]) else {
                    throw KernelError.conflict("the idempotency key '\(idempotency.key)' is being released; retry")
                }
                let runID = row.string(0)
                let stillThere = try await tx.first("SELECT id FROM workflow_runs WHERE id = ?", [.text(runID)]) != nil
                if row.int(2) >= horizon && stillThere {
                    return .existing(runID: runID, workflowID: row.string(1))
                }
                // Expired, or its run was removed by retention: the key now names the new run.
                try await tx.execute("UPDATE run_idempotency_keys SET run_id = ?, workflow_id = ?, created_at = ? WHERE idempotency_key = ?",
                                     [.text(run.id), .text(run.workflowID), .time(now), .text(idempotency.key)])
            }
            try await self.insertRun(run, steps: steps, audit: audit, tx)
            return .created
        }
    }
}
