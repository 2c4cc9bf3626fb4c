import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelStore

/// PostgreSQL-only behaviour: a backend terminated under a running request.
@Suite("PostgreSQL connection loss")
@KernelActor
struct PostgresConnectionLossTests {
    /// Polls (20 ms) for the sleeping backend to show up: 30 s, for a pool connect and two statements on a loaded machine.
    static let findBackendRounds = 1500
    /// Attempts (100 ms apart) for the store to reconnect after the loss: 30 s.
    static let recoveryRounds = 300

    @Test("pg_terminate_backend fails the in-flight request with unavailable, nothing half-written, then the store recovers",
          arguments: Backend.enabled.filter { $0 == .postgres })
    func terminatedBackend(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let opened = try await fx.open()
        guard let store = opened as? PostgresStore else {
            Issue.record("expected a PostgresStore")
            return
        }
        defer { Task { await store.close() } }
        let marker = "mcpk-loss-\(Identifier.uuid())"
        let keep = Make.component("Before")
        _ = try await store.createComponent(keep, config: [:], audit: Make.audit("create", "component", keep.id))

        // A write transaction that inserts a component, then blocks in pg_sleep on the server.
        let doomed = Make.component(marker)
        let inFlight = Task { @KernelActor () -> Error? in
            do {
                try await store.database.write { tx in
                    try await tx.execute("INSERT INTO components (id, name, type, description, tags, owner, latest_version, created_at, updated_at) VALUES (?, ?, ?, '', '[]', '', 1, 0, 0)",
                                         [.text(doomed.id), .text(doomed.name), .text(doomed.type.rawValue)])
                    try await tx.execute("SELECT pg_sleep(30) /* \(marker) */")
                }
                return nil
            } catch {
                return error
            }
        }
        // From an independent connection, find the sleeping backend and terminate it.
        let admin = try await PostgresConnection.connect(fx.url)
        defer { admin.close() }
        var terminated = false
        for _ in 0..<Self.findBackendRounds {
            let rows = try await admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                [.text("%pg_sleep(30) /* \(marker)%")])
            if rows.contains(where: { $0.string(0) == "t" }) { terminated = true; break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(terminated)
        let error = await inFlight.value
        #expect((error as? KernelError)?.kind == .unavailable, "got \(String(describing: error))")

        // Nothing half-written: the insert of the failed transaction is gone.
        let rows = try await admin.query("SELECT count(*) FROM components WHERE name = $1", [.text(marker)])
        #expect(rows.first?.string(0) == "0")

        // Recovery: later requests succeed (a new pooled connection replaces the dead one).
        var recovered = false
        for _ in 0..<Self.recoveryRounds {
            do {
                _ = try await store.component(keep.id)
                let c = Make.component("After")
                _ = try await store.createComponent(c, config: [:], audit: Make.audit("create", "component", c.id))
                recovered = true
                break
            } catch let e as KernelError where e.kind == .unavailable {
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        #expect(recovered)
        #expect(try await store.listComponents(ComponentQuery()).items.count == 2)
    }

    @Test("an unreachable server yields unavailable, not a hang or a crash", arguments: Backend.enabled.filter { $0 == .postgres })
    func unreachable(_ backend: Backend) async throws {
        var template = Array("/tmp/mcpk-store-test.XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw KernelError.internal("mkdtemp failed") }
        do {
            _ = try await PostgresStore.open(url: "postgres://mcpk:mcpk@127.0.0.1:1/mcpk", home: String(cString: dir))
            Issue.record("expected unavailable")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable, "\(e)")
        }
    }
}

@Suite("PostgreSQL statement deadline")
@KernelActor
struct PostgresDeadlineTests {
    @Test("a statement past its deadline drops the connection with unavailable instead of hanging",
          arguments: Backend.enabled.filter { $0 == .postgres })
    func deadline(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let c = try await PostgresConnection.connect(fx.url)
        c.queryTimeoutMilliseconds = 200
        do {
            _ = try await c.query("SELECT pg_sleep(5)", [])
            Issue.record("expected unavailable")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable, "\(e)")
        }
        #expect(c.state == .closed)
    }
}
