import KernelCore
import KernelEngine
import KernelLoop
import KernelStore
import Logging

/// Fires the ticks of every active schedule. Each kernel runs one; they share nothing but the
/// store: a tick fires only after `TriggerStore.claimTick` inserted its `(schedule_id, tick)`
/// row, which exactly one kernel can do, so a tick never runs twice — not with several kernels
/// on one PostgreSQL, not across restarts (the newest claimed tick is where a restarted kernel
/// resumes). The run goes through `RunEngine.submit` with `trigger: {kind: "schedule", id}`.
///
/// Honest limit: a kernel that dies between claiming a tick and submitting its run leaves the
/// tick `claimed` with no run (it is not retried: retrying could run it twice).
@KernelActor
package final class Scheduler {
    enum Phase: String { case created, running, stopped }

    let store: any TriggerStore
    let runs: any Store
    let engine: RunEngine
    let owner: String
    let logger: Logger
    let zones: TimeZoneDatabase
    private(set) var phase: Phase = .created
    private var timer: Timer?
    private var passing = false
    private var again = false
    private var crons: [String: CronExpression] = [:]
    /// Schedules whose cron or zone failed to load, so the log says it once.
    private var reported: Set<String> = []
    private(set) var fired = 0
    private(set) var lastPassAt: Timestamp?

    /// Seconds a tick may be late and still be on time (`ScheduleLimits.lateToleranceSeconds`;
    /// `MCPK_SCHEDULE_LATE_TOLERANCE_S` overrides it, for tests of catch-up).
    var lateToleranceSeconds = ScheduleLimits.lateToleranceSeconds
    nonisolated static let lateToleranceVariable = "MCPK_SCHEDULE_LATE_TOLERANCE_S"

    /// A claimed tick younger than this (s) whose run is not recorded yet is still being submitted.
    static let claimGraceSeconds: Int64 = 60

    init(store: any TriggerStore, runs: any Store, engine: RunEngine, zones: TimeZoneDatabase, owner: String, logger: Logger) {
        self.store = store; self.runs = runs; self.engine = engine; self.zones = zones; self.owner = owner; self.logger = logger
    }

    func start() throws {
        guard phase == .created else { return }
        timer = try Timer(loop: KernelRuntime.loop)
        phase = .running
        kick()
    }

    /// Stops firing; returns once a pass in progress has finished (so a claimed tick's run is
    /// submitted while the engine still runs: stop comes before the engine's in shutdown).
    func stop() async {
        phase = .stopped
        timer?.close()
        timer = nil
        while passing {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                do { try Timer.after(loop: KernelRuntime.loop, ms: 10) { c.resume() } } catch { c.resume() }
            }
        }
    }

    /// Runs a pass now (after a schedule changed).
    package func kick() {
        guard phase == .running else { return }
        if passing { again = true; return }
        Task { @KernelActor in await self.pass() }
    }

    func cron(_ text: String) throws -> CronExpression {
        if let c = crons[text] { return c }
        let c = try CronExpression(text)
        crons[text] = c
        return c
    }

    /// The next fire time of a schedule after `now` (seconds), for display and the timer.
    func nextFire(_ s: Schedule, after now: Int64) -> Int64? {
        guard s.state == .active, let c = try? cron(s.cron), let z = try? zones.zone(s.timezone) else { return nil }
        return c.nextFire(after: max(now, s.anchor), in: z)
    }

    private func pass() async {
        guard phase == .running, !passing else { return }
        passing = true
        var wake: Int64?
        repeat {
            again = false
            let now = Timestamp.now().milliseconds / 1000
            do {
                try await processWaiting()
                for (s, last) in try await store.activeSchedules() where phase == .running {
                    if let n = try await fireDue(s, lastTick: last, now: now) { wake = min(wake ?? n, n) }
                }
            } catch {
                logger.warning("scheduler pass failed", metadata: ["error": "\(error)"])
            }
            lastPassAt = .now()
        } while again && phase == .running
        passing = false
        arm(wake)
    }

    private func arm(_ nextFire: Int64?) {
        guard phase == .running, let timer else { return }
        let nowMs = Timestamp.now().milliseconds
        var delay = Int64(ScheduleLimits.reloadMilliseconds)
        if let n = nextFire { delay = min(delay, max(1, n * 1000 - nowMs + 5)) }
        timer.start(timeoutMs: UInt64(delay)) { [weak self] in
            KernelActor.assumeIsolated { self?.kick() }
        }
    }

    /// Claims and starts the ticks of one schedule due by `now`; returns its next fire time.
    private func fireDue(_ s: Schedule, lastTick: Int64?, now: Int64) async throws -> Int64? {
        let cron: CronExpression, zone: TimeZoneRules
        do {
            cron = try self.cron(s.cron)
            zone = try zones.zone(s.timezone)
        } catch {
            if reported.insert(s.id).inserted {
                logger.error("schedule cannot fire", metadata: ["schedule": "\(s.id)", "error": "\(error)"])
            }
            return nil
        }
        let from = max(s.anchor, lastTick ?? s.anchor)
        let lateStart = now - lateToleranceSeconds
        var due = cron.fires(after: max(from, lateStart), through: now, in: zone, limit: ScheduleLimits.maxCatchupTicks)
        if from < lateStart, let first = cron.nextFire(after: from, in: zone), first <= lateStart {
            // Ticks missed while no kernel ran: what `catchup` says.
            var late: [Int64] = []
            switch s.catchup {
            case .none: break
            case .last: if due.isEmpty { late = newestFires(cron, zone, after: from, through: lateStart, count: 1) }
            case .all: late = newestFires(cron, zone, after: from, through: lateStart, count: max(0, ScheduleLimits.maxCatchupTicks - due.count))
            }
            logger.info("schedule missed ticks while no kernel ran", metadata: [
                "schedule": "\(s.id)", "catchup": "\(s.catchup.rawValue)", "first_missed": "\(Timestamp(milliseconds: first * 1000).rfc3339)",
                "running_now": "\(late.count)"])
            due = late + due
            // Ticks before the chosen ones (or all missed ones) are skipped for good.
            try await store.advanceScheduleAnchor(id: s.id, to: (due.first ?? lateStart + 1) - 1)
        }
        for tick in due where phase == .running {
            // Once claimed, the tick is seen through (stop() waits for this pass).
            let claim = ScheduleTick(scheduleID: s.id, tick: tick, owner: owner, outcome: .claimed, createdAt: .now())
            guard try await store.claimTick(claim) else { continue }
            await begin(s, tick: tick)
        }
        return cron.nextFire(after: now, in: zone)
    }

    /// The newest `count` fire times in `(after, through]`, found by widening a window back
    /// from `through` (a week of every-second ticks is never enumerated).
    private func newestFires(_ cron: CronExpression, _ zone: TimeZoneRules, after: Int64, through: Int64, count: Int) -> [Int64] {
        guard count > 0 else { return [] }
        var width: Int64 = 60
        while true {
            let lo = max(after, through - width)
            let found = cron.fires(after: lo, through: through, in: zone, limit: Int.max)
            if found.count >= count || lo == after { return Array(found.suffix(count)) }
            width *= 4
        }
    }

    /// Applies `overlap`, then starts the tick's run (or records why not).
    private func begin(_ s: Schedule, tick: Int64) async {
        do {
            if let prev = try await store.lastRunTick(scheduleID: s.id, before: tick), try await stillRunning(prev) {
                switch s.overlap {
                case .skip:
                    try await store.updateTick(scheduleID: s.id, tick: tick, runID: nil, outcome: .skippedOverlap, error: nil)
                    return
                case .queue:
                    try await store.updateTick(scheduleID: s.id, tick: tick, runID: nil, outcome: .waiting, error: nil)
                    return
                case .cancelPrevious:
                    if let rid = prev.runID {
                        do { _ = try await engine.cancel(rid) } catch {
                            logger.warning("schedule could not cancel the previous run", metadata: ["schedule": "\(s.id)", "run": "\(rid)", "error": "\(error)"])
                        }
                    }
                }
            }
            try await submit(s, tick: tick)
        } catch {
            logger.warning("schedule tick failed", metadata: ["schedule": "\(s.id)", "error": "\(error)"])
            try? await store.updateTick(scheduleID: s.id, tick: tick, runID: nil, outcome: .failed, error: "\(error)")
        }
    }

    private func stillRunning(_ prev: ScheduleTick) async throws -> Bool {
        switch prev.outcome {
        case .waiting: return true
        case .claimed: return Timestamp.now().milliseconds / 1000 - prev.createdAt.milliseconds / 1000 < Scheduler.claimGraceSeconds
        case .started:
            guard let rid = prev.runID else { return false }
            return !(try await runs.run(rid)).status.isTerminal
        default: return false
        }
    }

    private func submit(_ s: Schedule, tick: Int64) async throws {
        let run: WorkflowRun
        do {
            run = try await engine.submit(workflow: s.workflowID, version: s.workflowVersion, inputs: s.inputs, actor: "schedule:\(s.id)",
                                          trigger: ["kind": "schedule", "id": .string(s.id), "name": .string(s.name),
                                                    "tick": Timestamp(milliseconds: tick * 1000).json])
        } catch let e as KernelError {
            try await store.updateTick(scheduleID: s.id, tick: tick, runID: nil, outcome: .failed, error: e.description)
            logger.warning("scheduled run refused", metadata: ["schedule": "\(s.id)", "error": "\(e)"])
            return
        }
        fired += 1
        try await store.updateTick(scheduleID: s.id, tick: tick, runID: run.id, outcome: .started, error: nil)
    }

    /// `overlap: queue`: a waiting tick starts once the run before it has ended (oldest first per schedule).
    private func processWaiting() async throws {
        var seen: Set<EntityID> = []
        for t in try await store.waitingTicks(owner: owner) where !seen.contains(t.scheduleID) {
            seen.insert(t.scheduleID)
            if let prev = try await store.lastRunTick(scheduleID: t.scheduleID, before: t.tick), try await stillRunning(prev) { continue }
            let s: Schedule
            do { s = try await store.schedule(t.scheduleID) } catch { continue }
            do { try await submit(s, tick: t.tick) } catch {
                try? await store.updateTick(scheduleID: s.id, tick: t.tick, runID: nil, outcome: .failed, error: "\(error)")
            }
        }
    }

    var statusJSON: JSON {
        ["phase": .string(phase.rawValue), "owner": .string(owner), "fired": JSON(fired), "last_pass_at": lastPassAt?.json ?? .null]
    }
}
