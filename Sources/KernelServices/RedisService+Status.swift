import KernelCore
import KernelStore

/// The `redis` section of `dashboard.health` and `kernel.status` (fields: `MethodReplies.redisSection`).
extension RedisService {
    /// The section of a configured Redis (`Kernel+Engine` adds the engine's `events`).
    var statusSection: JSON {
        var o = JSONObject()
        o["configured"] = true
        o["endpoint"] = .string(endpoint.redacted)
        o["state"] = .string(state.rawValue)
        o["connected"] = .bool(state == .connected)
        o["fallback_active"] = .bool(state != .connected)
        o["reconnects"] = JSON(reconnects)
        o["losses"] = JSON(losses)
        o["last_error"] = lastError.map { .string($0) } ?? .null
        o["last_error_at"] = lastErrorAt?.json ?? .null
        o["channels"] = JSON(channels.count)
        o["published"] = JSON(published)
        o["received"] = JSON(received)
        return .object(o)
    }

    /// The section when no Redis is configured.
    static let notConfiguredSection: JSON = ["configured": false, "connected": false, "fallback_active": false]
}
