import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// The shared run queue (issue 14): batch claims, per-workflow concurrency across kernels,
/// hand-back at a clean stop, heartbeats, NOTIFY payloads.
@Suite("Store: shared run queue")
@KernelActor
struct StoreQueueTests {
    func queued(_ store: SQLStore, _ workflow: String, limit: Int?, at i: Int64) async throws -> String {
        var r = Make.run(workflow, at: Timestamp(milliseconds: Timestamp.now().milliseconds - 10_000 + i))
        r.concurrencyLimit = limit
        _ = try await store.createRun(r, steps: [], audit: nil)
        return r.id
    }

    @Test("two kernels claiming together never exceed a workflow's concurrency, and claim every free run once", arguments: Backend.enabled)
    func claimsHoldConcurrency(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let a = try await fx.open()
        let b = try await fx.open()
        defer { Task { await a.close(); await b.close() } }
        var limited: [String] = []
        var free: [String] = []
        for i in 0..<10 { limited.append(try await queued(a, "limited", limit: 2, at: Int64(i * 2))) }
        for i in 0..<10 { free.append(try await queued(a, "free", limit: nil, at: Int64(i * 2 + 1))) }
        // Both claim at once, in batches of 4, until the queue gives nothing more.
        @Sendable func drain(_ store: SQLStore, _ owner: String) async throws -> [String] {
            var got: [String] = []
            while case let batch = try await store.claimQueuedRuns(owner: owner, leaseMilliseconds: 60_000, limit: 4), !batch.isEmpty {
                #expect(batch.count <= 4)
                #expect(batch.allSatisfy { $0.owner == owner })
                got += batch.map(\.id)
            }
            return got
        }
        async let x = drain(a, "ka")
        async let y = drain(b, "kb")
        let (ga, gb) = try await (x, y)
        #expect(Set(ga).isDisjoint(with: Set(gb)), "a run claimed by both kernels")
        let claimed = Set(ga + gb)
        #expect(claimed.isSuperset(of: Set(free)))
        #expect(claimed.intersection(Set(limited)).count == 2, "limit 2 held across kernels: \(claimed.intersection(Set(limited)).count)")
        // Oldest first: the two limited runs claimed are the two oldest.
        #expect(claimed.intersection(Set(limited)) == Set(limited.prefix(2)))
        // A slot frees when a held run ends; then exactly one more is claimable.
        var done = try await a.run(limited[0])
        done.status = .succeeded
        done.owner = nil
        done.leaseExpiresAt = nil
        try await a.saveRun(done)
        let next = try await b.claimQueuedRuns(owner: "kb", leaseMilliseconds: 60_000, limit: 10)
        #expect(next.map(\.id) == [limited[2]])
        #expect(try await a.claimQueuedRuns(owner: "ka", leaseMilliseconds: 60_000, limit: 10).isEmpty)
    }

    @Test("a clean stop hands queued runs back unowned and expires its running runs' leases", arguments: Backend.enabled)
    func handBack(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let q = try await queued(store, "wf", limit: nil, at: 0)
        var r = Make.run("wf")
        r.status = .running
        r.owner = "stopping"
        r.leaseExpiresAt = Timestamp(milliseconds: Timestamp.now().milliseconds + 60_000)
        _ = try await store.createRun(r, steps: [], audit: nil)
        #expect(try await store.claimQueuedRuns(owner: "stopping", leaseMilliseconds: 60_000, limit: 10).map(\.id) == [q])
        #expect(try await store.claimQueuedRuns(owner: "other", leaseMilliseconds: 60_000, limit: 10).isEmpty)
        let (queuedBack, runningBack) = try await store.handBackRuns(owner: "stopping")
        #expect(queuedBack == 1 && runningBack == 1)
        #expect(try await store.run(q).owner == nil)
        // Claimable at once by another kernel, and the running one is up for takeover now.
        #expect(try await store.claimQueuedRuns(owner: "other", leaseMilliseconds: 60_000, limit: 10).map(\.id) == [q])
        #expect(try await store.expiredRuns(excludingOwner: "other", limit: 10).map(\.id) == [r.id])
    }

    @Test("heartbeats list every kernel with its load", arguments: Backend.enabled)
    func heartbeats(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        let t = Timestamp(milliseconds: 1_700_000_000_000)
        try await store.recordKernel(KernelRecord(id: "k2", host: "h2", version: "0.1.0", startedAt: t, heartbeatAt: t,
                                                  runningSteps: 1, capacity: 4, activeRuns: 1, state: .running))
        try await store.recordKernel(KernelRecord(id: "k1", host: "h1", version: "0.1.0", startedAt: t, heartbeatAt: t,
                                                  runningSteps: 0, capacity: 8, activeRuns: 0, state: .running))
        let later = Timestamp(milliseconds: t.milliseconds + 5000)
        try await store.recordKernel(KernelRecord(id: "k2", host: "h2", version: "0.1.0", startedAt: t, heartbeatAt: later,
                                                  runningSteps: 3, capacity: 4, activeRuns: 2, state: .stopped))
        let ks = try await store.kernels()
        #expect(ks.map(\.id) == ["k1", "k2"])
        #expect(ks[1].heartbeatAt == later && ks[1].runningSteps == 3 && ks[1].state == .stopped && ks[0].capacity == 8)
    }

    @Test("NOTIFY payloads stay under PostgreSQL's limit and keep every run")
    func eventPayloads() {
        let entries = (0..<400).map { i in ("00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - String(i).count) + String(i), Int64(i)) }
        let payloads = SQLStore.eventPayloads(entries)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count <= SQLStore.maxNotifyPayloadBytes })
        let back = payloads.flatMap { $0.split(separator: ",") }.map(String.init)
        #expect(back == entries.map { "\($0.0):\($0.1)" })
        #expect(SQLStore.eventPayloads([]).isEmpty)
    }
}
