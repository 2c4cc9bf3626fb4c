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

    static func observe(_ operation: Operation, since started: Double) {
        Metrics.storeLatency.observe(max(0, MonotonicClock.seconds() - started), ["operation": operation.rawValue])
    }
}
