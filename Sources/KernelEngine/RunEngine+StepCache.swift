import KernelCore
import KernelLoop
import KernelStore

/// The step result cache (issue 14; the key: `StepCacheKey`). A step with `cache` asks the
/// cache before its executor starts (holding its slot, like other pre-launch work); a hit ends
/// the attempt as `cached` with the stored result (a `result` event with `cached: true`, the
/// `status_change` carries `cached_from`: the run/step/attempt that produced it); a miss runs the
/// step, and its success is saved with `expires = now + ttlSeconds`. Failures are never cached.
extension RunEngine {
    /// The entry of `key`, if any and every blob it references still exists (a swept blob is a
    /// miss); a cache that fails is a miss.
    func cacheLookup(_ cache: StepResultCache, _ key: String) async -> StepCacheEntry? {
        do {
            guard let entry = try await cache.lookup(key, now: .now()) else {
                cacheMisses += 1
                return nil
            }
            if let values {
                var digests = Set<String>()
                SQLStore.scanDigests(entry.result.serialized(), into: &digests)
                for d in digests where try await values.size(d) == nil {
                    cacheMisses += 1
                    return nil
                }
            }
            cacheHits += 1
            return entry
        } catch {
            cacheErrors += 1
            cacheMisses += 1
            logger.warning("step result cache lookup failed; running the step", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func useCached(_ run: ActiveRun, _ s: StepState, _ entry: StepCacheEntry, backend: String) {
        s.cacheKey = nil
        s.cacheChecked = false
        let attempt = s.current.attempt
        let from: JSON = ["run_id": .string(entry.runID), "step_id": .string(entry.stepID), "attempt": .int(Int64(entry.attempt)),
                          "created_at": entry.createdAt.json, "expires_at": entry.expiresAt.json, "backend": .string(backend)]
        journal.emit(run.run.id, .result, step: s.id, ["value": entry.result, "attempt": JSON(attempt), "cached": true])
        moveStep(run, s, to: .cached, result: entry.result, payload: ["cached_from": from])
    }

    func saveToCache(_ run: ActiveRun, _ s: StepState, _ value: JSON) {
        guard let key = s.cacheKey, let policy = s.definition.cache, let cache = stepCache else { return }
        s.cacheKey = nil
        let now = Timestamp.now()
        let entry = StepCacheEntry(key: key, result: value, componentID: s.componentID, componentVersion: s.componentVersion,
                                   runID: run.run.id, stepID: s.id, attempt: s.current.attempt, createdAt: now,
                                   expiresAt: Timestamp(milliseconds: now.milliseconds + policy.ttlMilliseconds))
        Task { @KernelActor in
            do {
                try await cache.save(entry)
                self.cacheSaves += 1
            } catch {
                self.cacheErrors += 1
                self.logger.warning("step result cache save failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// `kernel.status` `engine.cache`.
    public var stepCacheJSON: JSON {
        ["backend": stepCache.map { .string($0.backend) } ?? .null, "hits": JSON(cacheHits), "misses": JSON(cacheMisses),
         "saves": JSON(cacheSaves), "errors": JSON(cacheErrors)]
    }
}
