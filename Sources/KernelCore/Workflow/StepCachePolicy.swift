/// A step's result cache (`cache: {key?, ttlSeconds}`, issue 14): an attempt identical to an
/// earlier successful one — same component version, same resolved inputs, same `key` — within
/// `ttlSeconds` of it reuses that attempt's stored result instead of running (step status
/// `cached`). What the cache key is made of is `StepCacheKey` (KernelEngine).
public struct StepCachePolicy: Sendable, Equatable {
    /// Longest `ttlSeconds` (30 days).
    public static let maxTTLSeconds = 2_592_000.0
    /// Longest `key`.
    public static let maxKeyLength = 200

    /// Extra text mixed into the cache key (change it to start a fresh cache); nil: none.
    public var key: String?
    public var ttlSeconds: Double

    public init(key: String? = nil, ttlSeconds: Double) {
        self.key = key
        self.ttlSeconds = ttlSeconds
    }

    public var ttlMilliseconds: Int64 { Int64((ttlSeconds * 1000).rounded(.up)) }

    static let fields: [FieldDefinition] = [
        FieldDefinition("key", .string, minLength: 1, maxLength: maxKeyLength,
                        "Extra text mixed into the cache key (a literal; change it to start a fresh cache)."),
        FieldDefinition("ttlSeconds", .number, required: true, maximum: maxTTLSeconds, exclusiveMinimum: 0,
                        "How long a successful result is reused by identical attempts (component version, resolved inputs, key)."),
    ]
}
