import KernelCore
import KernelLoop

/// Per-hook request limit (`Webhook.rateLimitPerMinute`, default
/// `WebhookLimits.defaultRequestsPerMinute`): a token bucket refilled continuously, so bursts up
/// to the limit pass and the sustained rate is the limit. Per kernel (each kernel on a shared
/// PostgreSQL counts its own requests).
@KernelActor
package final class WebhookRateLimiter {
    private struct Bucket { var tokens: Double; var at: Double; var capacity: Double }
    private var buckets: [EntityID: Bucket] = [:]
    /// Buckets kept at most (an idle full bucket is dropped first when over).
    static let maxBuckets = 10_000

    /// nil when the request may pass; else the seconds after which one token is back.
    func take(_ hook: EntityID, perMinute: Int, nowMs: Double) -> Int? {
        let capacity = Double(max(1, perMinute))
        var b = buckets[hook] ?? Bucket(tokens: capacity, at: nowMs, capacity: capacity)
        if b.capacity != capacity { b.capacity = capacity; b.tokens = min(b.tokens, capacity) }
        let perMs = capacity / 60_000
        b.tokens = min(capacity, b.tokens + (nowMs - b.at) * perMs)
        b.at = nowMs
        if b.tokens >= 1 {
            b.tokens -= 1
            buckets[hook] = b
            trim(nowMs)
            return nil
        }
        buckets[hook] = b
        return max(1, Int(((1 - b.tokens) / perMs / 1000).rounded(.up)))
    }

    package func forget(_ hook: EntityID) { buckets[hook] = nil }

    private func trim(_ nowMs: Double) {
        guard buckets.count > WebhookRateLimiter.maxBuckets else { return }
        buckets = buckets.filter { $0.value.tokens + (nowMs - $0.value.at) * $0.value.capacity / 60_000 < $0.value.capacity }
    }
}
