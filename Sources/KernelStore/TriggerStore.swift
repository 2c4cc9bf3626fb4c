import KernelCore
import KernelLoop

/// Persistence of the run triggers (webhooks, schedules). Implemented by `SQLStore` for both
/// backends; the same rules as `Store` (audit in the same transaction, `conflict` for unique
/// names, sealed secrets never returned).
@KernelActor
public protocol TriggerStore: AnyObject {
    // MARK: webhooks
    func createWebhook(_ hook: Webhook, secret: String?, audit: ActionLog) async throws -> Webhook
    func updateWebhook(id: EntityID, changes: WebhookChanges, audit: ActionLog) async throws -> Webhook
    /// By id, or by name (case-insensitive).
    func webhook(_ idOrName: String) async throws -> Webhook
    func listWebhooks(limit: Int?, cursor: String?) async throws -> Page<Webhook>
    func deleteWebhook(id: EntityID, audit: ActionLog) async throws
    /// The plaintext signing secret, for the signature check only.
    func unsealWebhookSecret(id: EntityID) async throws -> String?
    /// Claims `(hook, key)` for a new delivery: `.claimed` when this caller must start the run,
    /// `.existing(run)` when a delivery with the key already started one within the window,
    /// `.inFlight` while another caller holds the claim without a run yet.
    func claimDelivery(webhookID: EntityID, key: String, now: Timestamp, windowMilliseconds: Int64) async throws -> DeliveryClaim
    /// Records the run of a claimed delivery, or (nil) releases the claim after a failed submission.
    func finishDelivery(webhookID: EntityID, key: String, runID: EntityID?) async throws

    // MARK: schedules
    func createSchedule(_ schedule: Schedule, audit: ActionLog) async throws -> Schedule
    func updateSchedule(id: EntityID, changes: ScheduleChanges, audit: ActionLog) async throws -> Schedule
    /// By id, or by name (case-insensitive).
    func schedule(_ idOrName: String) async throws -> Schedule
    func listSchedules(limit: Int?, cursor: String?) async throws -> Page<Schedule>
    func deleteSchedule(id: EntityID, audit: ActionLog) async throws
    /// Every active schedule with the newest tick claimed for it (nil: none yet).
    func activeSchedules() async throws -> [(schedule: Schedule, lastTick: Int64?)]
    /// Claims one tick (`INSERT … ON CONFLICT DO NOTHING` on the `(schedule_id, tick)` key):
    /// true for exactly one caller, whichever kernel it runs in.
    func claimTick(_ tick: ScheduleTick) async throws -> Bool
    func updateTick(scheduleID: EntityID, tick: Int64, runID: EntityID?, outcome: ScheduleTick.Outcome, error: String?) async throws
    /// Newest first.
    func ticks(scheduleID: EntityID, limit: Int) async throws -> [ScheduleTick]
    /// The newest tick of a schedule that started (or waits for) a run: the overlap check.
    func lastRunTick(scheduleID: EntityID, before tick: Int64) async throws -> ScheduleTick?
    /// Moves a schedule's anchor forward (never back): ticks before it no longer fire.
    func advanceScheduleAnchor(id: EntityID, to anchor: Int64) async throws
    /// Ticks `owner` claimed that wait for their schedule's previous run (`overlap: queue`), oldest first.
    func waitingTicks(owner: String) async throws -> [ScheduleTick]
}

/// Fields `schedule.update` (and pause/resume) may change (nil: unchanged).
public struct ScheduleChanges: Sendable {
    public var name: String?
    public var workflowID: EntityID?
    public var workflowVersion: Int??
    public var cron: String?
    public var timezone: String?
    public var inputs: JSON?
    public var catchup: Schedule.Catchup?
    public var overlap: Schedule.Overlap?
    public var state: Schedule.State?
    public var anchor: Int64?
    public var updatedAt: Timestamp

    public init(updatedAt: Timestamp) { self.updatedAt = updatedAt }
}

/// Outcome of `TriggerStore.claimDelivery`.
public enum DeliveryClaim: Sendable, Equatable {
    case claimed
    case existing(runID: EntityID)
    case inFlight
}

/// Fields `webhook.update` may change (nil: unchanged).
public struct WebhookChanges: Sendable {
    public var name: String?
    public var workflowID: EntityID?
    /// `.some(nil)` unpins (latest version).
    public var workflowVersion: Int??
    public var mapping: JSON?
    public var rateLimitPerMinute: Int?
    public var secret: SecretChange = .keep
    public var updatedAt: Timestamp

    public init(updatedAt: Timestamp) { self.updatedAt = updatedAt }
}
