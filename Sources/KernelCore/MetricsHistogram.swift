/// A handle on a histogram family: cumulative buckets, sum and count per label set.
public struct MetricsHistogram: Sendable {
    /// Prometheus client defaults (seconds).
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// For step durations: from 10 ms to one hour.
    public static let longBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

    let registry: MetricsRegistry
    public let name: String

    public func observe(_ value: Double, _ labels: [String: String] = [:]) {
        guard !value.isNaN else { return }
        registry.update(name, labels) { series, family in
            // Non-cumulative bucket counts; rendering accumulates.
            if let i = family.buckets.firstIndex(where: { value <= $0 }) { series.bucketCounts[i] += 1 }
            series.sum += value
            series.count += 1
        }
    }

    /// Number of observations of one series.
    public func count(_ labels: [String: String] = [:]) -> Double { registry.value(name, labels) }
}
