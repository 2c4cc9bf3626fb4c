import KernelCore
import KernelLoop
import KernelStore

/// Step result cache entries in the store (`step_cache`, migration 9; SQLite and PostgreSQL).
/// Expired entries are deleted at most every `purgeIntervalMilliseconds`, on a save.
@KernelActor
public final class StoreStepCache: StepResultCache {
    public static let purgeIntervalMilliseconds: Int64 = 60_000

    let store: SQLStore
    private var lastPurge = Timestamp(milliseconds: 0)
    public var backend: String { "store" }

    public init(store: SQLStore) {
        self.store = store
    }

    public func lookup(_ key: String, now: Timestamp) async throws -> StepCacheEntry? {
        try await store.stepCacheEntry(key: key, now: now)
    }

    public func save(_ entry: StepCacheEntry) async throws {
        try await store.saveStepCacheEntry(entry)
        let now = Timestamp.now()
        if now.milliseconds - lastPurge.milliseconds >= StoreStepCache.purgeIntervalMilliseconds {
            lastPurge = now
            try await store.purgeExpiredStepCache(now: now)
        }
    }
}
