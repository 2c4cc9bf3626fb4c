/// A handle on a gauge family: a value per label set that goes up and down.
public struct MetricsGauge: Sendable {
    let registry: MetricsRegistry
    public let name: String

    public func set(_ value: Double, _ labels: [String: String] = [:]) {
        registry.update(name, labels) { series, _ in series.value = value }
    }

    public func increment(_ labels: [String: String] = [:], by amount: Double = 1) {
        registry.update(name, labels) { series, _ in series.value += amount }
    }

    public func decrement(_ labels: [String: String] = [:], by amount: Double = 1) {
        registry.update(name, labels) { series, _ in series.value -= amount }
    }

    public func value(_ labels: [String: String] = [:]) -> Double { registry.value(name, labels) }
}
