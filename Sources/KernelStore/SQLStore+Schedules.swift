import KernelCore
import KernelLoop

extension SQLStore {
    static let scheduleColumns = "id, name, workflow_id, workflow_version, cron, timezone, inputs, catchup, overlap, state, anchor, created_at, updated_at"
    static let tickColumns = "schedule_id, tick, run_id, owner, outcome, error, created_at"

    static func scheduleRow(_ r: SQLRow) throws -> Schedule {
        guard let catchup = Schedule.Catchup(rawValue: r.string(7)), let overlap = Schedule.Overlap(rawValue: r.string(8)),
              let state = Schedule.State(rawValue: r.string(9)) else {
            throw KernelError.internal("stored schedule \(r.string(0)) has an unknown catchup/overlap/state")
        }
        return Schedule(id: r.string(0), name: r.string(1), workflowID: r.string(2), workflowVersion: r.optionalInt(3).map { Int($0) },
                        cron: r.string(4), timezone: r.string(5), inputs: try r.json(6), catchup: catchup, overlap: overlap, state: state,
                        anchor: r.int(10), createdAt: r.time(11), updatedAt: r.time(12))
    }

    static func tickRow(_ r: SQLRow) throws -> ScheduleTick {
        guard let outcome = ScheduleTick.Outcome(rawValue: r.string(4)) else {
            throw KernelError.internal("stored tick outcome '\(r.string(4))' is unknown")
        }
        return ScheduleTick(scheduleID: r.string(0), tick: r.int(1), runID: r.optionalString(2), owner: r.string(3), outcome: outcome,
                            error: r.optionalString(5), createdAt: r.time(6))
    }

    func scheduleValues(_ s: Schedule) -> [SQLValue] {
        [.text(s.id), .text(s.name), .text(s.workflowID), .optionalInt(s.workflowVersion.map { Int64($0) }), .text(s.cron), .text(s.timezone),
         .json(s.inputs), .text(s.catchup.rawValue), .text(s.overlap.rawValue), .text(s.state.rawValue), .int(s.anchor),
         .time(s.createdAt), .time(s.updatedAt)]
    }

    public func createSchedule(_ schedule: Schedule, audit: ActionLog) async throws -> Schedule {
        try await database.write { tx in
            try await self.ensureUniqueName(table: "schedules", kind: "schedule", name: schedule.name, except: nil, tx)
            try await tx.execute("INSERT INTO schedules (\(SQLStore.scheduleColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 self.scheduleValues(schedule))
            try await self.insertAudit(audit, tx)
        }
        return schedule
    }

    public func updateSchedule(id: EntityID, changes c: ScheduleChanges, audit: ActionLog) async throws -> Schedule {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.scheduleColumns) FROM schedules WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("schedule \(id) not found")
            }
            var s = try SQLStore.scheduleRow(row)
            if let name = c.name, name != s.name {
                try await self.ensureUniqueName(table: "schedules", kind: "schedule", name: name, except: id, tx)
                s.name = name
            }
            if let v = c.workflowID { s.workflowID = v }
            if let v = c.workflowVersion { s.workflowVersion = v }
            if let v = c.cron { s.cron = v }
            if let v = c.timezone { s.timezone = v }
            if let v = c.inputs { s.inputs = v }
            if let v = c.catchup { s.catchup = v }
            if let v = c.overlap { s.overlap = v }
            if let v = c.state { s.state = v }
            if let v = c.anchor { s.anchor = v }
            s.updatedAt = c.updatedAt
            try await tx.execute(
                """
                UPDATE schedules SET name = ?, workflow_id = ?, workflow_version = ?, cron = ?, timezone = ?, inputs = ?, catchup = ?,
                  overlap = ?, state = ?, anchor = ?, updated_at = ? WHERE id = ?
                """,
                Array(self.scheduleValues(s)[1...10]) + [.time(s.updatedAt), .text(id)])
            try await self.insertAudit(audit, tx)
            return s
        }
    }

    public func schedule(_ idOrName: String) async throws -> Schedule {
        try await database.read { db in
            let rows = try await db.query("SELECT \(SQLStore.scheduleColumns) FROM schedules WHERE id = ? OR lower(name) = lower(?)",
                                          [.text(idOrName), .text(idOrName)])
            let all = try rows.map(SQLStore.scheduleRow)
            guard let s = all.first(where: { $0.id == idOrName }) ?? all.first else { throw KernelError.notFound("schedule \(idOrName) not found") }
            return s
        }
    }

    public func listSchedules(limit: Int?, cursor: String?) async throws -> Page<Schedule> {
        try await page("schedules", columns: SQLStore.scheduleColumns, cursor: cursor, limit: limit, row: SQLStore.scheduleRow,
                       key: { ($0.createdAt, $0.id) })
    }

    public func deleteSchedule(id: EntityID, audit: ActionLog) async throws {
        try await deleteRow("schedules", noun: "schedule", id: id, dependents: [("schedule_ticks", "schedule_id")], audit: audit)
    }

    public func activeSchedules() async throws -> [(schedule: Schedule, lastTick: Int64?)] {
        try await database.read { db in
            let cols = SQLStore.scheduleColumns.split(separator: ",").map { "s." + $0.filter { $0 != " " } }.joined(separator: ", ")
            let rows = try await db.query(
                "SELECT \(cols), (SELECT MAX(t.tick) FROM schedule_ticks t WHERE t.schedule_id = s.id) FROM schedules s WHERE s.state = 'active'")
            return try rows.map { (try SQLStore.scheduleRow($0), $0.optionalInt(13)) }
        }
    }

    public func claimTick(_ t: ScheduleTick) async throws -> Bool {
        try await database.write { tx in
            let won = try await tx.query(
                """
                INSERT INTO schedule_ticks (\(SQLStore.tickColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (schedule_id, tick) DO NOTHING RETURNING tick
                """,
                [.text(t.scheduleID), .int(t.tick), .optionalText(t.runID), .text(t.owner), .text(t.outcome.rawValue),
                 .optionalText(t.error), .time(t.createdAt)])
            return !won.isEmpty
        }
    }

    public func updateTick(scheduleID: EntityID, tick: Int64, runID: EntityID?, outcome: ScheduleTick.Outcome, error: String?) async throws {
        _ = try await database.write { tx in
            try await tx.execute("UPDATE schedule_ticks SET run_id = ?, outcome = ?, error = ? WHERE schedule_id = ? AND tick = ?",
                                 [.optionalText(runID), .text(outcome.rawValue), .optionalText(error), .text(scheduleID), .int(tick)])
        }
    }

    public func ticks(scheduleID: EntityID, limit: Int) async throws -> [ScheduleTick] {
        try await database.read { db in
            try await db.query("SELECT \(SQLStore.tickColumns) FROM schedule_ticks WHERE schedule_id = ? ORDER BY tick DESC LIMIT ?",
                               [.text(scheduleID), .int(Int64(max(1, limit)))]).map(SQLStore.tickRow)
        }
    }

    public func lastRunTick(scheduleID: EntityID, before tick: Int64) async throws -> ScheduleTick? {
        try await database.read { db in
            try await db.first(
                """
                SELECT \(SQLStore.tickColumns) FROM schedule_ticks WHERE schedule_id = ? AND tick < ? AND outcome IN ('claimed', 'started', 'waiting')
                ORDER BY tick DESC LIMIT 1
                """, [.text(scheduleID), .int(tick)]).map(SQLStore.tickRow)
        }
    }

    public func advanceScheduleAnchor(id: EntityID, to anchor: Int64) async throws {
        _ = try await database.write { tx in
            try await tx.execute("UPDATE schedules SET anchor = ? WHERE id = ? AND anchor < ?", [.int(anchor), .text(id), .int(anchor)])
        }
    }

    public func waitingTicks(owner: String) async throws -> [ScheduleTick] {
        try await database.read { db in
            try await db.query("SELECT \(SQLStore.tickColumns) FROM schedule_ticks WHERE outcome = 'waiting' AND owner = ? ORDER BY tick",
                               [.text(owner)]).map(SQLStore.tickRow)
        }
    }
}
