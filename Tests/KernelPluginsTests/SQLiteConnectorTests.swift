import PluginTestSupport
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// The bundled sqlite connector against a real database file.
@Suite struct SQLiteConnectorTests {
    static let fixture = """
    CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, created REAL DEFAULT 0);
    CREATE TABLE orders (id INTEGER NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers(id),
                         line INTEGER NOT NULL, total NUMERIC, paid BOOLEAN DEFAULT 0, note BLOB,
                         PRIMARY KEY (id, line));
    CREATE UNIQUE INDEX orders_note ON orders(customer_id, note);
    CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
    INSERT INTO customers (id, email, name) VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bob'), (3, 'c@x', NULL);
    INSERT INTO orders VALUES (10, 1, 1, 250.5, 1, x'00ff'), (11, 2, 1, 20, 0, NULL);
    """

    @KernelActor static func setUp() async throws -> (PluginHost, PluginConnection, String) {
        let dir = TestSupport.tempDir("sqlite")
        let path = dir + "/fixture.db"
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        _ = try await host.load(path: TestSupport.bundled("mcpk-sqlite"))
        let rw = try await host.connect(plugin: "sqlite", config: ["path": .string(path), "create": true], secret: nil)
        for stmt in fixture.split(separator: ";").map({ $0.trimmingCharacters() }) where !stmt.isEmpty {
            _ = try await rw.query(QueryRequest(sql: stmt))
        }
        return (host, rw, path)
    }

    @Test @KernelActor func queriesWithParamsMaxRowsAndTypes() async throws {
        let (host, conn, _) = try await Self.setUp()
        let t = try await conn.test()
        #expect(t.serverVersion?.hasPrefix("SQLite 3.") == true)
        let r = try await conn.query(QueryRequest(sql: "SELECT id, email, name FROM customers WHERE id >= ? ORDER BY id", params: [2]))
        #expect(r.columns.map(\.name) == ["id", "email", "name"])
        #expect(r.columns.map(\.type) == ["int64", "text", "text"])
        #expect(r.rows == [[2, "b@x", "Bob"], [3, "c@x", .null]])
        #expect(!r.truncated)
        let limited = try await conn.query(QueryRequest(sql: "SELECT id FROM customers ORDER BY id", maxRows: 2))
        #expect(limited.rows == [[1], [2]])
        #expect(limited.truncated)
        let typed = try await conn.query(QueryRequest(sql: "SELECT total, paid, note FROM orders ORDER BY id"))
        #expect(typed.rows == [[250.5, true, "AP8="], [20, false, .null]])
        let ins = try await conn.query(QueryRequest(sql: "UPDATE customers SET name = ? WHERE id > ?", params: ["Z", 1]))
        #expect(ins.rowsAffected == 2)
        await #expect(throws: KernelError.self) {
            _ = try await conn.query(QueryRequest(sql: "SELECT * FROM customers WHERE id = ?", params: []))
        }
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT * FROM missing"))
            Issue.record("query on a missing table succeeded")
        } catch let e as KernelError {
            #expect(e.kind == .notFound)
            #expect(e.message.contains("no such table"))
        }
        do {
            _ = try await conn.query(QueryRequest(sql: "INSERT INTO orders VALUES (12, 99, 1, 1, 0, NULL)"))
            Issue.record("FK violation accepted")
        } catch let e as KernelError {
            #expect(e.message.contains("SQLSTATE 23000"))
        }
        // A long statement is stopped by its timeout, and by cancel.
        let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        do {
            _ = try await conn.query(QueryRequest(sql: slow, timeoutMs: 100))
            Issue.record("timeout not enforced")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable && e.message.contains("timeout"))
        }
        let canceller = RepeatingCanceller(conn, firstAfterMs: 100)
        do {
            _ = try await conn.query(QueryRequest(sql: slow))
            Issue.record("cancel had no effect")
        } catch let e as KernelError {
            #expect(e.kind == .conflict && e.message.contains("57014"))
        }
        canceller.stop()
        await conn.close()
        await host.shutdown()
    }

    @Test @KernelActor func readOnlyRefusesWrites() async throws {
        let (host, rw, path) = try await Self.setUp()
        await rw.close()
        let ro = try await host.connect(plugin: "sqlite", config: ["path": .string(path), "read_only": true], secret: nil)
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) FROM customers")).rows == [[3]])
        for sql in ["DELETE FROM customers", "CREATE TABLE t (x)", "INSERT INTO customers (email) VALUES ('q')"] {
            do {
                _ = try await ro.query(QueryRequest(sql: sql))
                Issue.record("write allowed: \(sql)")
            } catch let e as KernelError {
                #expect(e.kind == .forbidden, "\(sql)")
            }
        }
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) FROM customers")).rows == [[3]])
        await ro.close()
        await #expect(throws: KernelError.self) {
            _ = try await host.connect(plugin: "sqlite", config: ["path": "/nonexistent/dir/x.db"], secret: nil)
        }
        await host.shutdown()
    }

    @Test @KernelActor func scanIsExact() async throws {
        let (host, conn, _) = try await Self.setUp()
        let scan = try await conn.scan()
        let expected = try JSONParser.parse("""
        {"schemas":[{"name":"main","tables":[
          {"name":"big_orders","type":"view","columns":[
            {"name":"id","type":"INTEGER","nullable":true,"default":null,"position":1},
            {"name":"total","type":"NUMERIC","nullable":true,"default":null,"position":2}],"constraints":[]},
          {"name":"customers","type":"table","columns":[
            {"name":"id","type":"INTEGER","nullable":false,"default":null,"position":1},
            {"name":"email","type":"TEXT","nullable":false,"default":null,"position":2},
            {"name":"name","type":"TEXT","nullable":true,"default":null,"position":3},
            {"name":"created","type":"REAL","nullable":true,"default":"0","position":4}],
           "constraints":[
            {"type":"primary_key","name":"customers_pkey","columns":["id"]},
            {"type":"unique","name":"sqlite_autoindex_customers_1","columns":["email"]}]},
          {"name":"orders","type":"table","columns":[
            {"name":"id","type":"INTEGER","nullable":false,"default":null,"position":1},
            {"name":"customer_id","type":"INTEGER","nullable":false,"default":null,"position":2},
            {"name":"line","type":"INTEGER","nullable":false,"default":null,"position":3},
            {"name":"total","type":"NUMERIC","nullable":true,"default":null,"position":4},
            {"name":"paid","type":"BOOLEAN","nullable":true,"default":"0","position":5},
            {"name":"note","type":"BLOB","nullable":true,"default":null,"position":6}],
           "constraints":[
            {"type":"foreign_key","name":"orders_fk0","columns":["customer_id"],"referenced_schema":"main","referenced_table":"customers","referenced_columns":["id"]},
            {"type":"primary_key","name":"orders_pkey","columns":["id","line"]},
            {"type":"unique","name":"orders_note","columns":["customer_id","note"]}]}]}]}
        """)
        #expect(scan == expected, "\(scan.pretty())")
        let shallow = try await conn.scan(depth: 2)
        #expect(shallow == (try JSONParser.parse("""
        {"schemas":[{"name":"main","tables":[{"name":"big_orders","type":"view"},{"name":"customers","type":"table"},{"name":"orders","type":"table"}]}]}
        """)))
        let one = try await conn.scan(depth: 3, table: "customers")
        #expect(one["schemas"]?[0]?["tables"]?.arrayValue?.count == 1)
        await #expect(throws: KernelError.self) { _ = try await conn.scan(table: "nope") }
        await #expect(throws: KernelError.self) { _ = try await conn.scan(schema: "other") }
        await conn.close()
        await host.shutdown()
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
