import CSodium

/// libsodium, initialised once before the first use (`sodium_init` is idempotent and thread-safe;
/// a `static let` runs it exactly once).
public enum Sodium {
    /// True when libsodium initialised (it fails only when the system has no entropy source).
    public static let ready: Bool = sodium_init() >= 0
}
