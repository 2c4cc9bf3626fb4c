/// Per-step retry policy: `max` extra attempts, waiting `backoffSeconds ×
/// factor^(n-1)` (jittered by the engine) before attempt n+1.
public struct RetryPolicy: Sendable, Equatable {
    public static let maxRetries = 100
    public static let maxBackoffSeconds = 3600.0
    public static let maxFactor = 10.0
    public static let defaultBackoffSeconds = 1.0
    public static let defaultFactor = 2.0

    public var max: Int
    public var backoffSeconds: Double
    public var factor: Double

    public init(max: Int, backoffSeconds: Double = RetryPolicy.defaultBackoffSeconds, factor: Double = RetryPolicy.defaultFactor) {
        self.max = max; self.backoffSeconds = backoffSeconds; self.factor = factor
    }

    public static let none = RetryPolicy(max: 0)

    /// Delay before attempt `attempt` (2, 3, …) without jitter, capped at `maxBackoffSeconds`.
    public func delay(beforeAttempt attempt: Int) -> Double {
        guard attempt >= 2 else { return 0 }
        var d = backoffSeconds
        for _ in 2..<attempt { d *= factor; if d >= RetryPolicy.maxBackoffSeconds { return RetryPolicy.maxBackoffSeconds } }
        return Swift.min(d, RetryPolicy.maxBackoffSeconds)
    }

    static let fields: [FieldDefinition] = [
        FieldDefinition("max", .integer, required: true, minimum: 0, maximum: Double(maxRetries),
                        "Extra attempts after the first failure."),
        FieldDefinition("backoffSeconds", .number, default: .double(defaultBackoffSeconds), minimum: 0,
                        maximum: maxBackoffSeconds, "Wait before the first retry."),
        FieldDefinition("factor", .number, default: .double(defaultFactor), minimum: 1, maximum: maxFactor,
                        "Multiplier of the wait for each further retry."),
    ]
}
