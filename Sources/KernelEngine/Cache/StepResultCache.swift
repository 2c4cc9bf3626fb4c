import KernelCore
import KernelLoop
import KernelStore

/// Where step result cache entries live (issue 14): Redis when configured (`RedisStepCache`),
/// otherwise the store (`StoreStepCache`, table `step_cache`). A lookup or save that fails
/// (Redis away, store error) is a miss / a skipped save: the cache never fails a step.
@KernelActor
public protocol StepResultCache: AnyObject {
    /// "redis" or "store" (for `kernel.status` and the step's `cached_from`).
    var backend: String { get }
    /// The unexpired entry of `key`, or nil.
    func lookup(_ key: String, now: Timestamp) async throws -> StepCacheEntry?
    func save(_ entry: StepCacheEntry) async throws
}
