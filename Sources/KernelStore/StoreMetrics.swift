import Glibc
import KernelCore
import KernelLoop

/// Feeds `mcpk_store_latency_seconds{operation}`: the time a caller waits for
/// one `read` (autocommit statements on a read connection) or one `write`
/// (a whole transaction, including the wait for the writer), measured in both
/// backends. The label set is this enum, so its cardinality is fixed.
enum StoreMetrics {
    enum Operation: String {
        case read, write
    }

    /// A monotonic start time in seconds.
    static func start() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
    }

    static func observe(_ operation: Operation, since started: Double) {
        Metrics.storeLatency.observe(max(0, start() - started), ["operation": operation.rawValue])
    }
}
