import KernelCore
import KernelLoop

/// `step_cache` (migration 9): the step result cache when no Redis is configured. Entries are
/// read only while unexpired; expired ones are deleted by `purgeExpiredStepCache`.
extension SQLStore {
    public func stepCacheEntry(key: String, now: Timestamp) async throws -> StepCacheEntry? {
        try await database.read { db in
            try await db.query(
                """
                SELECT cache_key, result, component_id, component_version, run_id, step_id, attempt, created_at, expires_at
                FROM step_cache WHERE cache_key = ? AND expires_at > ?
                """, [.text(key), .int(now.milliseconds)]).first.map { r in
                StepCacheEntry(key: r.string(0), result: try r.json(1), componentID: r.string(2), componentVersion: Int(r.int(3)),
                               runID: r.string(4), stepID: r.string(5), attempt: Int(r.int(6)), createdAt: r.time(7), expiresAt: r.time(8))
            }
        }
    }

    /// Inserts or replaces the entry of `entry.key` (the latest successful attempt wins).
    public func saveStepCacheEntry(_ entry: StepCacheEntry) async throws {
        _ = try await database.write { tx in
            try await tx.execute(
                """
                INSERT INTO step_cache (cache_key, result, component_id, component_version, run_id, step_id, attempt, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (cache_key) DO UPDATE SET result = excluded.result, component_id = excluded.component_id,
                  component_version = excluded.component_version, run_id = excluded.run_id, step_id = excluded.step_id,
                  attempt = excluded.attempt, created_at = excluded.created_at, expires_at = excluded.expires_at
                """,
                [.text(entry.key), .json(entry.result), .text(entry.componentID), .int(Int64(entry.componentVersion)),
                 .text(entry.runID), .text(entry.stepID), .int(Int64(entry.attempt)), .int(entry.createdAt.milliseconds),
                 .int(entry.expiresAt.milliseconds)])
        }
    }

    /// Deletes the entries expired at `now`; returns how many.
    @discardableResult
    public func purgeExpiredStepCache(now: Timestamp) async throws -> Int {
        try await database.write { tx in
            try await tx.execute("DELETE FROM step_cache WHERE expires_at <= ? RETURNING cache_key", [.int(now.milliseconds)]).count
        }
    }
}
