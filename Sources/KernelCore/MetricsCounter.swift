/// A handle on a counter family: a monotonically increasing value per label set.
public struct MetricsCounter: Sendable {
    let registry: MetricsRegistry
    public let name: String

    /// Adds `amount` (negative amounts are ignored: counters never go down).
    public func increment(_ labels: [String: String] = [:], by amount: Double = 1) {
        guard amount >= 0, amount.isFinite else { return }
        registry.update(name, labels) { series, _ in series.value += amount }
    }

    public func value(_ labels: [String: String] = [:]) -> Double { registry.value(name, labels) }
}
