import KernelCore
import KernelLoop

extension SQLStore {
    /// Run ids per fence lookup (`SELECT … WHERE id IN (…)`).
    static let journalLookupChunk = 500

    /// The run journal's group commit: every run's pending run row, step rows and events in ONE
    /// transaction, with a fixed number of statements per batch (one fence lookup per
    /// `journalLookupChunk` runs, one UPDATE per run written, multi-row upserts and inserts).
    /// The runs are locked in id order (PostgreSQL: `FOR UPDATE`; SQLite has one writer), then
    /// each run's part is checked on its own: another kernel holds the run, or its first event
    /// does not continue the stored `last_seq` → `conflict`; an unknown run → `not_found`. A
    /// refused run's part is left out whole, the others commit (`Outcome.refused`). A failure
    /// of the transaction itself (a lost connection, a busy file) throws and writes nothing.
    public func commitJournal(_ batch: JournalBatch) async throws -> JournalBatch.Outcome {
        if batch.isEmpty { return JournalBatch.Outcome() }
        var invalid: [EntityID: KernelError] = [:]
        var eventsByRun: [EntityID: [RunEvent]] = [:]
        for e in batch.events { eventsByRun[e.runID, default: []].append(e) }
        for (runID, list) in eventsByRun {
            for i in list.indices.dropFirst() where list[i].seq != list[i - 1].seq + 1 {
                invalid[runID] = KernelError.conflict(
                    "events of run \(runID) are not contiguous: seq \(list[i].seq) follows \(list[i - 1].seq)")
                break
            }
        }
        let runIDs = batch.runIDs
        let owner = batch.owner
        return try await database.write { tx in
            var refused = invalid
            var held: [EntityID: (owner: String?, lastSeq: Int64)] = [:]
            var start = 0
            while start < runIDs.count {
                let chunk = runIDs[start..<min(start + SQLStore.journalLookupChunk, runIDs.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rows = try await tx.query(
                    "SELECT id, owner, last_seq FROM workflow_runs WHERE id IN (\(marks)) ORDER BY id\(self.forUpdate)",
                    chunk.map { .text($0) })
                for r in rows { held[r.string(0)] = (r.optionalString(1), r.int(2)) }
                start += chunk.count
            }
            for id in runIDs where refused[id] == nil {
                guard let h = held[id] else {
                    refused[id] = KernelError.notFound("run \(id) not found")
                    continue
                }
                if let holder = h.owner, holder != owner {
                    refused[id] = KernelError.conflict("run \(id) is held by kernel \(holder), not \(owner)")
                } else if let first = eventsByRun[id]?.first, first.seq != h.lastSeq + 1 {
                    refused[id] = KernelError.conflict(
                        "run \(id) has events up to seq \(h.lastSeq); the next must be \(h.lastSeq + 1), not \(first.seq)")
                }
            }
            var runRows: [EntityID: WorkflowRun] = [:]
            for r in batch.runs { runRows[r.id] = r }
            for id in runIDs where refused[id] == nil {
                let lastSeq = eventsByRun[id]?.last?.seq
                if let run = runRows[id] {
                    var (assignments, params) = SQLStore.runRowAssignments(run)
                    if let lastSeq {
                        assignments += ", last_seq = ?"
                        params.append(.int(lastSeq))
                    }
                    params.append(.text(id))
                    try await tx.execute("UPDATE workflow_runs SET \(assignments) WHERE id = ?", params)
                } else if let lastSeq {
                    try await tx.execute("UPDATE workflow_runs SET last_seq = ? WHERE id = ?", [.int(lastSeq), .text(id)])
                }
            }
            let steps = refused.isEmpty ? batch.steps : batch.steps.filter { refused[$0.runID] == nil }
            try await self.upsertSteps(steps, tx)
            let events = refused.isEmpty ? batch.events : batch.events.filter { refused[$0.runID] == nil }
            try await self.insertEventRows(events, tx)
            if self.dialect == .postgres, !events.isEmpty {
                // Other kernels' subscribers learn of the new events at commit (run id + last seq)
                // and read them from the store.
                var last: [EntityID: Int64] = [:]
                for e in events { last[e.runID] = max(last[e.runID] ?? 0, e.seq) }
                for payload in SQLStore.eventPayloads(last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) {
                    try await self.notify(SQLStore.eventsChannel, payload, tx)
                }
            }
            return JournalBatch.Outcome(refused: refused)
        }
    }
}
