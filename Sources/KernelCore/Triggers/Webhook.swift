/// A webhook: `POST /hooks/{id}` starts a run of `workflowID` (its latest version, or the pinned
/// `workflowVersion`) with the request body, optionally reshaped by `mapping`, as inputs. The
/// signing secret is sealed at rest and never returned (`hasSecret`).
public struct Webhook: Sendable, Equatable {
    public var id: EntityID
    public var name: String
    public var workflowID: EntityID
    public var workflowVersion: Int?
    /// null, or `{input: "body.a.b" | "headers.x" | "query.y" | "body"}` (see `WebhookMapping`).
    public var mapping: JSON
    public var hasSecret: Bool
    public var rateLimitPerMinute: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, workflowID: EntityID, workflowVersion: Int? = nil, mapping: JSON = .null,
                hasSecret: Bool = false, rateLimitPerMinute: Int = WebhookLimits.defaultRequestsPerMinute,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id; self.name = name; self.workflowID = workflowID; self.workflowVersion = workflowVersion
        self.mapping = mapping; self.hasSecret = hasSecret; self.rateLimitPerMinute = rateLimitPerMinute
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// The hook's path on the HTTP shim (contract: `/hooks/{id}`).
    public var url: String { "/hooks/" + id }

    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["url"] = .string(url)
        o["workflow_id"] = .string(workflowID)
        o["workflow_version"] = workflowVersion.map { .int(Int64($0)) } ?? .null
        o["mapping"] = mapping
        o["secret"] = hasSecret ? "set" : .null
        o["rate_limit_per_minute"] = .int(Int64(rateLimitPerMinute))
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}

/// Named limits of webhooks.
public enum WebhookLimits {
    /// Deliveries a hook accepts per minute unless its `rate_limit_per_minute` says otherwise.
    public static let defaultRequestsPerMinute = 60
    /// Highest `rate_limit_per_minute`.
    public static let maxRequestsPerMinute = 6000
    /// How long an `Idempotency-Key` is remembered: a repeat within it returns the first run.
    public static let idempotencyWindowMilliseconds = IdempotencyLimits.windowMilliseconds
    /// Longest `Idempotency-Key`.
    public static let maxIdempotencyKeyLength = IdempotencyLimits.maxKeyLength
    /// Longest `?wait=`.
    public static let maxWaitMilliseconds = 120_000
    /// Entries of a mapping.
    public static let maxMappingEntries = 100
}
