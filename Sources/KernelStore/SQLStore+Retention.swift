import KernelCore
import KernelLoop

/// Retention (issue 16): pinned runs, the finished runs a policy selects, their deletion in
/// small batches, and the blob digests rows still reference (mark for the blob sweep).
extension SQLStore {
    /// Statuses of finished runs, as an SQL list.
    static let finishedStatuses = "(" + RunStatus.allCases.filter(\.isTerminal).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// `run.pin {id, pinned}`: a pinned run is never deleted by retention.
    public func setPin(_ runID: EntityID, pinned: Bool, audit: ActionLog) async throws {
        try await database.write { tx in
            guard try await tx.first("SELECT id FROM workflow_runs WHERE id = ?", [.text(runID)]) != nil else {
                throw KernelError.notFound("run \(runID) not found")
            }
            if pinned {
                try await tx.execute("INSERT INTO run_pins (run_id, actor, pinned_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO NOTHING",
                                     [.text(runID), .text(audit.actor), .int(Timestamp.now().milliseconds)])
            } else {
                try await tx.execute("DELETE FROM run_pins WHERE run_id = ?", [.text(runID)])
            }
            try await self.insertAudit(audit, tx)
        }
    }

    public func isPinned(_ runID: EntityID) async throws -> Bool {
        try await database.read { db in try await db.first("SELECT run_id FROM run_pins WHERE run_id = ?", [.text(runID)]) != nil }
    }

    /// Finished, unpinned runs that finished before `cutoff` (ms), oldest first; with
    /// `withEvents`, only those that still have events.
    public func retentionRuns(finishedBefore cutoff: Int64, limit: Int, withEvents: Bool = false, after: EntityID? = nil) async throws -> [EntityID] {
        var sql = """
            SELECT id FROM workflow_runs r WHERE status IN \(SQLStore.finishedStatuses) AND finished_at IS NOT NULL AND finished_at < ?
              AND NOT EXISTS (SELECT 1 FROM run_pins p WHERE p.run_id = r.id)
            """
        var params: [SQLValue] = [.int(cutoff)]
        if withEvents { sql += " AND EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = r.id)" }
        if let after { sql += " AND id > ?"; params.append(.text(after)) }
        sql += " ORDER BY id LIMIT ?"
        params.append(.int(Int64(max(1, limit))))
        let q = sql, p = params
        return try await database.read { db in try await db.query(q, p).map { $0.string(0) } }
    }

    /// Counts of what deleting `ids` removes: (step rows, events).
    public func retentionCounts(_ ids: [EntityID]) async throws -> (steps: Int64, events: Int64) {
        guard !ids.isEmpty else { return (0, 0) }
        let list = ids.map { _ in "?" }.joined(separator: ", "), params = ids.map(SQLValue.text)
        return try await database.read { db in
            let s = try await db.first("SELECT COUNT(*) FROM step_runs WHERE run_id IN (\(list))", params)?.int(0) ?? 0
            let e = try await db.first("SELECT COUNT(*) FROM run_events WHERE run_id IN (\(list))", params)?.int(0) ?? 0
            return (s, e)
        }
    }

    /// Deletes runs (still finished and unpinned: re-checked in the transaction) with their
    /// step rows and events, and writes `audit`. Returns the ids actually deleted.
    public func deleteRuns(_ ids: [EntityID], audit: ActionLog) async throws -> [EntityID] {
        guard !ids.isEmpty else { return [] }
        let list = ids.map { _ in "?" }.joined(separator: ", "), params = ids.map(SQLValue.text)
        return try await database.write { tx in
            let keep = try await tx.query("""
                SELECT id FROM workflow_runs r WHERE id IN (\(list)) AND status IN \(SQLStore.finishedStatuses)
                  AND NOT EXISTS (SELECT 1 FROM run_pins p WHERE p.run_id = r.id)
                """, params).map { $0.string(0) }
            guard !keep.isEmpty else { return [] }
            let l = keep.map { _ in "?" }.joined(separator: ", "), p = keep.map(SQLValue.text)
            try await tx.execute("DELETE FROM run_events WHERE run_id IN (\(l))", p)
            try await tx.execute("DELETE FROM step_runs WHERE run_id IN (\(l))", p)
            try await tx.execute("DELETE FROM run_waits WHERE run_id IN (\(l))", p)
            try await tx.execute("DELETE FROM workflow_runs WHERE id IN (\(l))", p)
            var entry = audit
            entry.details = ["run_ids": .array(keep.map(JSON.string))]
            try await self.insertAudit(entry, tx)
            return keep
        }
    }

    /// Deletes the events of `ids` (finished, unpinned: re-checked); returns how many.
    public func deleteEvents(ofRuns ids: [EntityID], audit: ActionLog) async throws -> Int64 {
        guard !ids.isEmpty else { return 0 }
        let list = ids.map { _ in "?" }.joined(separator: ", "), params = ids.map(SQLValue.text)
        return try await database.write { tx in
            let where_ = """
                run_id IN (SELECT id FROM workflow_runs r WHERE id IN (\(list)) AND status IN \(SQLStore.finishedStatuses)
                  AND NOT EXISTS (SELECT 1 FROM run_pins p WHERE p.run_id = r.id))
                """
            let n = try await tx.first("SELECT COUNT(*) FROM run_events WHERE \(where_)", params)?.int(0) ?? 0
            try await tx.execute("DELETE FROM run_events WHERE \(where_)", params)
            var entry = audit
            entry.details = ["events_of_runs": .array(ids.map(JSON.string)), "events": .int(n)]
            try await self.insertAudit(entry, tx)
            return n
        }
    }

    /// Every blob digest a stored run row, step row or event still references (the blob sweep's
    /// mark phase): rows whose JSON text contains `blob:sha256:` are read and scanned.
    public func referencedBlobDigests() async throws -> Set<String> {
        let text = { (c: String) in self.dialect == .postgres ? "\(c)::text" : c }
        let sources = [("step_runs", "result"), ("workflow_runs", "outputs"), ("workflow_runs", "inputs"), ("run_events", "payload"), ("step_cache", "result")]
        return try await database.read { db in
            var out = Set<String>()
            for (table, column) in sources {
                let rows = try await db.query("SELECT \(text(column)) FROM \(table) WHERE \(text(column)) LIKE ?", [.text("%" + BlobReference.scheme + "%")])
                for r in rows { SQLStore.scanDigests(r.string(0), into: &out) }
            }
            return out
        }
    }

    /// Adds every `blob:sha256:<64 hex>` in `text` to `out`.
    public static func scanDigests(_ text: String, into out: inout Set<String>) {
        let bytes = Array(text.utf8), scheme = Array(BlobReference.scheme.utf8)
        var i = 0
        while i + scheme.count + 64 <= bytes.count {
            if bytes[i] == scheme[0], Array(bytes[i..<(i + scheme.count)]) == scheme {
                let d = String(decoding: bytes[(i + scheme.count)..<(i + scheme.count + 64)], as: UTF8.self)
                if BlobReference.isDigest(d) { out.insert(d) }
                i += scheme.count + 64
            } else {
                i += 1
            }
        }
    }
}
