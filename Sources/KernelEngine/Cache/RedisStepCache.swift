import KernelCore
import KernelLoop
import KernelStore

/// Step result cache entries in Redis: `SET mcpk:cache:<key> <entry JSON> PX <ttl ms>`, so Redis
/// expires them itself; `GET` on lookup. While Redis is away, lookups miss and saves are skipped.
@KernelActor
public final class RedisStepCache: StepResultCache {
    static let keyPrefix = "mcpk:cache:"

    let redis: RedisService
    public var backend: String { "redis" }

    public init(redis: RedisService) {
        self.redis = redis
    }

    public func lookup(_ key: String, now: Timestamp) async throws -> StepCacheEntry? {
        switch try await redis.command([Array("GET".utf8), Array((RedisStepCache.keyPrefix + key).utf8)]) {
        case .null: return nil
        case .bulk(let bytes):
            let entry = try StepCacheEntry(json: try JSONParser.parse(bytes))
            return entry.key == key && entry.expiresAt > now ? entry : nil
        case .error(let e): throw KernelError.unavailable("Redis GET: \(e)")
        default: throw KernelError.unavailable("Redis GET: unexpected reply")
        }
    }

    public func save(_ entry: StepCacheEntry) async throws {
        let ttl = max(1, entry.expiresAt.milliseconds - Timestamp.now().milliseconds)
        let reply = try await redis.command([Array("SET".utf8), Array((RedisStepCache.keyPrefix + entry.key).utf8),
                                             entry.json.serializedBytes(), Array("PX".utf8), Array(String(ttl).utf8)])
        if case .error(let e) = reply { throw KernelError.unavailable("Redis SET: \(e)") }
    }
}
