import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// `mcpk_store_latency_seconds{operation}` is observed by both backends: one
/// observation per read and per write transaction. (The registry is shared by
/// tests running in parallel, so only increases are checked.)
@Suite("Store: latency metrics")
@KernelActor
struct StoreMetricsTests {
    static func count(_ operation: String) -> Double {
        Metrics.storeLatency.count(["operation": operation])
    }

    @Test("reads and writes are observed with bounded labels", arguments: Backend.enabled)
    func readsAndWritesObserved(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let reads = Self.count("read"), writes = Self.count("write")
        try await store.appendAudit(Make.audit("test", "thing", "1"))
        #expect(Self.count("write") >= writes + 1)
        _ = try await store.listAudit(AuditQuery(entityType: "thing", entityID: "1", actionType: nil, limit: 10, before: nil))
        _ = try await store.ping()
        #expect(Self.count("read") >= reads + 2)
        let text = MetricsRegistry.shared.prometheusText()
        let labels = Set(text.split(separator: "\n").filter { $0.hasPrefix("mcpk_store_latency_seconds_count{") }.map(String.init))
        #expect(labels.allSatisfy { $0.hasPrefix("mcpk_store_latency_seconds_count{operation=\"read\"}")
                                   || $0.hasPrefix("mcpk_store_latency_seconds_count{operation=\"write\"}") }, "\(labels)")
    }
}
