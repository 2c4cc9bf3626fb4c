import Synchronization

/// A process-wide registry of metric families (counters, gauges, histograms),
/// rendered as Prometheus text by `prometheusText()`. Pure bookkeeping, no I/O:
/// the HTTP shim serves the text at `/metrics`.
///
/// Thread-safe (one mutex over all series) so that worker threads may
/// increment too; every update is a few dictionary operations.
///
/// Usage from any module:
/// ```swift
/// Metrics.runs.increment(["status": "succeeded"])
/// Metrics.stepDuration.observe(1.25, ["type": "Python Script"])
/// ```
public final class MetricsRegistry: Sendable {
    /// The registry the kernel renders at `/metrics`.
    public static let shared = MetricsRegistry()

    /// Upper bound on distinct label combinations per family, so a bug that
    /// puts ids into labels cannot grow memory without bound. Series beyond it
    /// are folded into one series whose label values are all `"_overflow"`.
    public static let maxSeriesPerFamily = 2_000

    enum Kind: String, Sendable { case counter, gauge, histogram }

    struct Family: Sendable {
        let name: String
        let help: String
        let kind: Kind
        let labelNames: [String]
        let buckets: [Double]
        var series: [[String]: Series] = [:]
        var order: [[String]] = []
    }

    struct Series: Sendable {
        var value: Double = 0
        var bucketCounts: [UInt64] = []
        var sum: Double = 0
        var count: UInt64 = 0
    }

    let state = Mutex<[String: Family]>([:])
    let familyOrder = Mutex<[String]>([])

    public init() {}

    /// Declares (or returns the already declared) counter family.
    public func counter(_ name: String, help: String, labels: [String] = []) -> MetricsCounter {
        declare(name, help: help, kind: .counter, labels: labels, buckets: [])
        return MetricsCounter(registry: self, name: name)
    }

    /// Declares (or returns the already declared) gauge family.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> MetricsGauge {
        declare(name, help: help, kind: .gauge, labels: labels, buckets: [])
        return MetricsGauge(registry: self, name: name)
    }

    /// Declares (or returns the already declared) histogram family. `buckets`
    /// are upper bounds; they are sorted and `+Inf` is implicit.
    public func histogram(_ name: String, help: String, labels: [String] = [],
                          buckets: [Double] = MetricsHistogram.defaultBuckets) -> MetricsHistogram {
        let clean = Array(Set(buckets.filter { $0.isFinite })).sorted()
        declare(name, help: help, kind: .histogram, labels: labels, buckets: clean)
        return MetricsHistogram(registry: self, name: name)
    }

    private func declare(_ name: String, help: String, kind: Kind, labels: [String], buckets: [Double]) {
        let isNew = state.withLock { families -> Bool in
            if families[name] != nil { return false }
            families[name] = Family(name: name, help: help, kind: kind, labelNames: labels, buckets: buckets)
            return true
        }
        if isNew { familyOrder.withLock { $0.append(name) } }
    }

    /// Applies `update` to the series of `name` selected by `labels`
    /// (missing label names read as empty strings, unknown ones are ignored).
    func update(_ name: String, _ labels: [String: String], _ update: (inout Series, Family) -> Void) {
        state.withLock { families in
            // Moved out of (and back into) the dictionaries so that the series
            // storage stays uniquely referenced: no copy-on-write per update.
            guard var family = families.removeValue(forKey: name) else { return }
            defer { families[name] = family }
            var key = family.labelNames.map { labels[$0] ?? "" }
            if family.series[key] == nil {
                if family.series.count >= Self.maxSeriesPerFamily {
                    key = family.labelNames.map { _ in "_overflow" }
                }
                if family.series[key] == nil {
                    var fresh = Series()
                    if family.kind == .histogram { fresh.bucketCounts = Array(repeating: 0, count: family.buckets.count) }
                    family.series[key] = fresh
                    family.order.append(key)
                }
            }
            if var series = family.series.removeValue(forKey: key) {
                update(&series, family)
                family.series[key] = series
            }
        }
    }

    /// The current value of a counter or gauge series (0 when absent); for
    /// histograms the observation count. For tests and `dashboard.health`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        state.withLock { families in
            guard let family = families[name] else { return 0 }
            let key = family.labelNames.map { labels[$0] ?? "" }
            guard let series = family.series[key] else { return 0 }
            return family.kind == .histogram ? Double(series.count) : series.value
        }
    }

    /// Forgets every observed series (declared families stay). For tests.
    public func reset() {
        state.withLock { families in
            for name in families.keys {
                families[name]?.series = [:]
                families[name]?.order = []
            }
        }
    }

    func snapshot() -> [Family] {
        let names = familyOrder.withLock { $0 }
        return state.withLock { families in names.compactMap { families[$0] } }
    }
}
