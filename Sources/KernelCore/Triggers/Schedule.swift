/// A schedule: a cron expression in a time zone starting runs of a workflow (latest version, or
/// the pinned `workflowVersion`) with fixed inputs. Each tick is claimed in the store
/// (`schedule_ticks`), so of any number of kernels exactly one starts its run.
public struct Schedule: Sendable, Equatable {
    /// What happens to ticks missed while no kernel ran.
    public enum Catchup: String, Sendable, CaseIterable {
        /// Missed ticks are skipped.
        case none
        /// The most recent missed tick runs once.
        case last
        /// Every missed tick runs (at most `ScheduleLimits.maxCatchupTicks`, newest kept).
        case all
    }

    /// What a tick does while the previous run of the schedule is still going.
    public enum Overlap: String, Sendable, CaseIterable {
        /// The tick is recorded as skipped.
        case skip
        /// The tick's run starts when the previous run has ended.
        case queue
        /// The previous run is cancelled and the tick's run starts.
        case cancelPrevious = "cancel-previous"
    }

    /// Explicit state of a schedule.
    public enum State: String, Sendable, CaseIterable { case active, paused }

    public var id: EntityID
    public var name: String
    public var workflowID: EntityID
    public var workflowVersion: Int?
    public var cron: String
    public var timezone: String
    public var inputs: JSON
    public var catchup: Catchup
    public var overlap: Overlap
    public var state: State
    /// Seconds since the epoch before which no tick fires (creation, resume, a changed cron).
    public var anchor: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, workflowID: EntityID, workflowVersion: Int? = nil, cron: String, timezone: String = "UTC",
                inputs: JSON = [:], catchup: Catchup = .none, overlap: Overlap = .skip, state: State = .active, anchor: Int64,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id; self.name = name; self.workflowID = workflowID; self.workflowVersion = workflowVersion; self.cron = cron
        self.timezone = timezone; self.inputs = inputs; self.catchup = catchup; self.overlap = overlap; self.state = state
        self.anchor = anchor; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["workflow_id"] = .string(workflowID)
        o["workflow_version"] = workflowVersion.map { .int(Int64($0)) } ?? .null
        o["version_policy"] = workflowVersion == nil ? "latest" : "pinned"
        o["cron"] = .string(cron)
        o["timezone"] = .string(timezone)
        o["inputs"] = inputs
        o["catchup"] = .string(catchup.rawValue)
        o["overlap"] = .string(overlap.rawValue)
        o["state"] = .string(state.rawValue)
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}

/// One claimed tick of a schedule.
public struct ScheduleTick: Sendable, Equatable {
    /// What became of a claimed tick.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Claimed, its run being submitted.
        case claimed
        /// A run was started.
        case started
        /// Waiting for the previous run to end (`overlap: queue`).
        case waiting
        /// Not run: the previous run was still going (`overlap: skip`).
        case skippedOverlap = "skipped_overlap"
        /// Not run: missed while no kernel ran (`catchup` none or last).
        case missed
        /// The submission failed (the error is kept).
        case failed
    }

    public var scheduleID: EntityID
    /// Seconds since the epoch.
    public var tick: Int64
    public var runID: EntityID?
    public var owner: String
    public var outcome: Outcome
    public var error: String?
    public var createdAt: Timestamp

    public init(scheduleID: EntityID, tick: Int64, runID: EntityID? = nil, owner: String, outcome: Outcome, error: String? = nil,
                createdAt: Timestamp) {
        self.scheduleID = scheduleID; self.tick = tick; self.runID = runID; self.owner = owner; self.outcome = outcome
        self.error = error; self.createdAt = createdAt
    }

    public var json: JSON {
        var o = JSONObject()
        o["tick"] = Timestamp(milliseconds: tick * 1000).json
        o["run_id"] = JSON(runID)
        o["outcome"] = .string(outcome.rawValue)
        o["owner"] = .string(owner)
        o["error"] = JSON(error)
        return .object(o)
    }
}

/// Named limits of schedules.
public enum ScheduleLimits {
    /// Missed ticks run at most this many at once under `catchup: all` (the newest are kept).
    public static let maxCatchupTicks = 100
    /// A tick this late (seconds) is still on time; older ones are "missed" and follow `catchup`.
    public static let lateToleranceSeconds: Int64 = 30
    /// The scheduler re-reads the schedules at least this often (ms), to see other kernels' changes.
    public static let reloadMilliseconds: UInt64 = 2000
    /// Longest time zone name.
    public static let maxTimezoneLength = 64
    /// Ticks shown by `schedule.get`.
    public static let recentTicks = 10
}
