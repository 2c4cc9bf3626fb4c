import Foundation
import Glibc
import KernelCore
import Testing

/// Connection, dashboard, entity and audit methods through the real binary,
/// on SQLite and (when `MCPK_TEST_PG_URL` is set) on PostgreSQL.
@Suite(.serialized) struct StoreMethodsTests {
    static var backends: [String] {
        let pg = ProcessInfo.processInfo.environment["MCPK_TEST_PG_URL"] ?? ""
        if pg.isEmpty && ProcessInfo.processInfo.environment["CI"] != "true" {
            print("StoreMethodsTests: MCPK_TEST_PG_URL is not set: skipping the PostgreSQL backend")
            return ["sqlite"]
        }
        return ["sqlite", "postgres"]
    }

    /// Environment selecting the store: SQLite in the home, or a fresh PostgreSQL database.
    static func storeEnv(_ backend: String) throws -> [String: String] {
        guard backend == "postgres" else { return [:] }
        let base = ProcessInfo.processInfo.environment["MCPK_TEST_PG_URL"] ?? ""
        guard !base.isEmpty else { throw KernelError.unavailable("CI=true but MCPK_TEST_PG_URL is not set") }
        let name = "it_" + Identifier.uuid().replacingOccurrences(of: "-", with: "")
        let (rc, _, err) = try KernelProcess.run("/usr/bin/psql", [base, "-q", "-c", "CREATE DATABASE \(name)"])
        guard rc == 0 else { throw KernelError.unavailable("psql CREATE DATABASE failed: \(err)") }
        guard let slash = base.lastIndex(of: "/") else { throw KernelError.internal("bad MCPK_TEST_PG_URL") }
        return ["DATABASE_URL": String(base[..<slash]) + "/" + name]
    }

    @Test("connection lifecycle with the audit trail after each step; the secret never leaves the kernel", arguments: backends)
    func connectionLifecycle(_ backend: String) throws {
        let env = try StoreMethodsTests.storeEnv(backend)
        let k = try KernelProcess.start(env: env)
        defer { _ = k.stop() }
        let secret = "pw-\(Identifier.uuid())"
        let created = try k.call("connection.create", ["name": "Warehouse", "plugin": "postgres", "config": ["host": "db.local"], "secret": .string(secret)])
        let id = try #require(created["id"]?.stringValue)
        #expect(created["secret"] == "set")
        #expect(!created.serialized().contains(secret))
        func audit() throws -> [JSON] {
            try k.call("audit.list", ["entity_type": "connection", "entity_id": .string(id)])["items"]?.arrayValue ?? []
        }
        #expect(try audit().map { $0["action_type"] } == ["connection.create"])
        #expect(try audit().first?["details"]?["secret"] == "set")

        let got = try k.call("connection.get", ["id": "warehouse"])
        #expect(got["id"]?.stringValue == id)
        let listed = try k.call("connection.list")
        #expect(listed["items"]?.arrayValue?.count == 1)
        #expect(!listed.serialized().contains(secret))

        let updated = try k.call("connection.update", ["id": .string(id), "config": ["host": "db2"], "secret": .null])
        #expect(updated["config"]?["host"] == "db2")
        #expect(updated["secret"] == .null)
        #expect(try audit().map { $0["action_type"] } == ["connection.update", "connection.create"])
        #expect(try audit().first?["details"]?["secret"] == "cleared")

        // Validation and conflicts name the field / kind.
        do {
            _ = try k.call("connection.create", ["name": "WAREHOUSE", "plugin": "postgres"])
            Issue.record("duplicate name accepted")
        } catch {
            #expect("\(error)".contains("conflict"))
        }
        do {
            _ = try k.call("connection.create", ["name": "", "plugin": "postgres"])
            Issue.record("empty name accepted")
        } catch {
            #expect("\(error)".contains("name"))
        }

        let entity = try k.call("entity.get", ["type": "connection", "id": .string(id)])
        #expect(entity["name"] == "Warehouse")
        #expect(entity["details"]?["plugin"] == "postgres")
        let auditID = try #require(try audit().first?["id"]?.stringValue)
        #expect(try k.call("entity.get", ["type": "action_log", "id": .string(auditID)])["id"]?.stringValue == auditID)

        let summary = try k.call("dashboard.summary")
        #expect(summary["total_connections"] == 1)
        #expect(summary["recent_activity"]?.arrayValue?.count == 2)
        for key in ["active_runs", "queued_runs", "completed_today", "failed_today", "total_components", "total_workflows", "success_rate_7d"] {
            #expect(summary[key] != nil, "missing \(key)")
        }
        let health = try k.call("dashboard.health")
        #expect(health["status"] == "ok")
        #expect(health["store"]?["kind"]?.stringValue == backend)
        #expect(health["store"]?["latency_ms"]?.doubleValue != nil)
        if backend == "postgres" { #expect(health["store"]?["pool"]?["size"] == 4) }

        // Data survives a restart.
        #expect(k.stop() == 0)
        let k2 = try KernelProcess.start(home: k.home, env: env)
        defer { _ = k2.stop() }
        #expect(try k2.call("connection.get", ["id": .string(id)])["name"] == "Warehouse")
        _ = try k2.call("connection.delete", ["id": .string(id)])
        let trail = try k2.call("audit.list", ["entity_id": .string(id)])["items"]?.arrayValue?.map { $0["action_type"] }
        #expect(trail == ["connection.delete", "connection.update", "connection.create"])
        do {
            _ = try k2.call("connection.get", ["id": .string(id)])
            Issue.record("deleted connection still found")
        } catch {
            #expect("\(error)".contains("not_found"))
        }

        // The CLI renders the same data.
        let (rc, out, _) = try k2.cli(["audit", "--entity", "connection/\(id)"])
        #expect(rc == 0)
        #expect(out.contains("delete") && out.contains("create"))
        let (rc2, dash, _) = try k2.cli(["dashboard"])
        #expect(rc2 == 0)
        #expect(dash.contains("0 connections") && dash.contains("health:      ok"))
        // Sealed at rest: the plaintext is nowhere in the SQLite files.
        if backend == "sqlite" {
            for f in ["mcpk.db", "mcpk.db-wal"] {
                let data = FileManager.default.contents(atPath: k.home + "/" + f) ?? Data()
                #expect(data.range(of: Data(secret.utf8)) == nil, "\(f) holds the plaintext secret")
            }
        }
    }

    @Test("audit.list pages with cursor; entity.get rejects unknown types listing the valid ones")
    func auditPaging() throws {
        let k = try KernelProcess.start()
        defer { _ = k.stop() }
        for i in 0..<5 { _ = try k.call("connection.create", ["name": .string("c\(i)"), "plugin": "sqlite", "config": ["path": .string("/tmp/c\(i).db")]]) }
        let first = try k.call("audit.list", ["limit": 3])
        let items = first["items"]?.arrayValue ?? []
        #expect(items.count == 3)
        let cursor = try #require(first["next_cursor"]?.stringValue)
        let second = try k.call("audit.list", ["limit": 3, "cursor": .string(cursor)])
        #expect(second["items"]?.arrayValue?.count == 2)
        #expect(second["next_cursor"] == .null)
        let ids = Set((items + (second["items"]?.arrayValue ?? [])).compactMap { $0["id"]?.stringValue })
        #expect(ids.count == 5)
        do {
            _ = try k.call("entity.get", ["type": "spaceship", "id": "x"])
            Issue.record("unknown type accepted")
        } catch {
            #expect("\(error)".contains("component_version"))
        }
    }
}
