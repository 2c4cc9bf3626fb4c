import KernelCore

extension RetryPolicy {
    /// Retries after the first attempt + 1.
    public var maxAttempts: Int { max + 1 }

    /// The jittered delay before attempt `nextAttempt` (2, 3, …) in milliseconds: the
    /// exponential delay times a factor in 1 ± `EngineLimits.backoffJitter`; `unit` is a
    /// random value in [0, 1).
    public func jitteredDelayMilliseconds(beforeAttempt nextAttempt: Int, unit: Double) -> UInt64 {
        let jitter = 1 + EngineLimits.backoffJitter * (2 * unit - 1)
        let ms = delay(beforeAttempt: nextAttempt) * jitter * 1000
        return ms <= 0 ? 0 : UInt64(ms.rounded())
    }
}
