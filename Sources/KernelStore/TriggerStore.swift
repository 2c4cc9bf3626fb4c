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
