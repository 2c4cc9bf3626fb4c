/// Named limits of idempotency keys: `workflow.run {idempotency_key}` (HTTP `Idempotency-Key`
/// on the run route) and webhook deliveries share them.
public enum IdempotencyLimits {
    /// How long a key is remembered: a repeat within it returns the first run instead of
    /// starting another.
    public static let windowMilliseconds: Int64 = 24 * 3600 * 1000
    /// Longest key, in UTF-8 bytes.
    public static let maxKeyLength = 200

    /// The field error for a key that is empty or too long, nil when it is acceptable.
    public static func keyError(_ key: String, field: String) -> FieldError? {
        guard key.isEmpty || key.utf8.count > maxKeyLength else { return nil }
        return FieldError(field, "must be 1 to \(maxKeyLength) bytes (IdempotencyLimits.maxKeyLength; got \(key.utf8.count))")
    }
}
