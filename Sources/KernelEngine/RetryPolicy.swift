import KernelCore

/// `retries {max, backoffSeconds, factor}` of a step: jittered exponential backoff.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (0 = run once).
    public var max: Int
    public var backoffSeconds: Double
    public var factor: Double

    public init(max: Int = 0, backoffSeconds: Double = 1, factor: Double = 2) {
        self.max = max; self.backoffSeconds = backoffSeconds; self.factor = factor
    }

    public var maxAttempts: Int { max + 1 }

    /// The delay before attempt `nextAttempt` (2, 3, …), before jitter.
    public func baseDelay(beforeAttempt nextAttempt: Int) -> Double {
        let exponent = Double(Swift.max(0, nextAttempt - 2))
        var d = backoffSeconds
        var i = 0.0
        while i < exponent { d *= factor; i += 1 }
        return Swift.min(d, EngineLimits.maxBackoffSeconds)
    }

    /// The jittered delay in milliseconds; `unit` is a random value in [0, 1).
    public func delayMilliseconds(beforeAttempt nextAttempt: Int, unit: Double) -> UInt64 {
        let jitter = 1 + EngineLimits.backoffJitter * (2 * unit - 1)
        let ms = baseDelay(beforeAttempt: nextAttempt) * jitter * 1000
        return ms <= 0 ? 0 : UInt64(ms.rounded())
    }

    static func parse(_ json: JSON?, path: String) throws -> RetryPolicy {
        guard let json, !json.isNull else { return RetryPolicy() }
        if let n = json.intValue {
            guard n >= 0, n <= Int64(EngineLimits.maxRetries) else {
                throw KernelError.invalidParams("invalid retries", errors: [FieldError(path, "must be 0…\(EngineLimits.maxRetries)")])
            }
            return RetryPolicy(max: Int(n))
        }
        guard case .object = json else {
            throw KernelError.invalidParams("invalid retries", errors: [FieldError(path, "must be an object {max, backoffSeconds, factor}")])
        }
        var p = RetryPolicy()
        if let m = json["max"], !m.isNull {
            guard let n = m.intValue, n >= 0, n <= Int64(EngineLimits.maxRetries) else {
                throw KernelError.invalidParams("invalid retries", errors: [FieldError(path + ".max", "must be an integer 0…\(EngineLimits.maxRetries)")])
            }
            p.max = Int(n)
        }
        if let b = json["backoffSeconds"], !b.isNull {
            guard let d = b.doubleValue, d >= 0, d <= EngineLimits.maxBackoffSeconds else {
                throw KernelError.invalidParams("invalid retries", errors: [FieldError(path + ".backoffSeconds", "must be a number 0…\(Int(EngineLimits.maxBackoffSeconds))")])
            }
            p.backoffSeconds = d
        }
        if let f = json["factor"], !f.isNull {
            guard let d = f.doubleValue, d >= 1, d <= 10 else {
                throw KernelError.invalidParams("invalid retries", errors: [FieldError(path + ".factor", "must be a number 1…10")])
            }
            p.factor = d
        }
        return p
    }
}
