import PluginTestSupport
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// The ADBC bridge (`libmcpk-adbc.so`) with the real driver libraries from the pinned
/// `adbc-driver-sqlite` / `adbc-driver-postgresql` wheels (`scripts/adbc-drivers.sh`, which
/// `make test` runs and points `MCPK_TEST_ADBC_DRIVERS` at), against the same fixtures and
/// the same checks as `SQLiteConnectorTests` and `PostgresConnectorTests`. Where a driver
/// answers differently from the bundled connector (its type names, its error classes) the
/// check says so next to it. Skipped with a message when the drivers are absent, failed under CI.
@Suite struct ADBCConnectorTests {
    static func driver(_ name: String) -> String? {
        guard let dir = getenv("MCPK_TEST_ADBC_DRIVERS").map({ String(cString: $0) }), !dir.isEmpty else {
            if getenv("CI").map({ String(cString: $0) }) == "true" {
                Issue.record("MCPK_TEST_ADBC_DRIVERS is not set under CI=true")
            } else {
                print("ADBCConnectorTests skipped: MCPK_TEST_ADBC_DRIVERS not set (scripts/adbc-drivers.sh DIR)")
            }
            return nil
        }
        let path = dir + "/libadbc_driver_\(name).so"
        guard access(path, R_OK) == 0 else {
            Issue.record("\(path) is missing: run scripts/adbc-drivers.sh \(dir)")
            return nil
        }
        return path
    }

    @KernelActor static func bridge() async throws -> PluginHost {
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        _ = try await host.load(path: TestSupport.bundled("mcpk-adbc"))
        return host
    }

    // MARK: SQLite through adbc_driver_sqlite (SQLiteConnectorTests' fixture)

    @KernelActor static func sqliteSetUp(_ driver: String) async throws -> (PluginHost, PluginConnection, String) {
        let path = TestSupport.tempDir("adbc-sqlite") + "/fixture.db"
        let host = try await bridge()
        let rw = try await host.connect(plugin: "adbc", config: ["driver": .string(driver), "uri": .string("file:" + path)], secret: nil)
        for stmt in SQLiteConnectorTests.fixture.split(separator: ";").map({ $0.trimmingCharacters() }) where !stmt.isEmpty {
            _ = try await rw.query(QueryRequest(sql: stmt))
        }
        return (host, rw, path)
    }

    @Test @KernelActor func sqliteQueriesWithParamsMaxRowsAndTypes() async throws {
        guard let driver = Self.driver("sqlite") else { return }
        let (host, conn, _) = try await Self.sqliteSetUp(driver)
        let t = try await conn.test()
        #expect(t.serverVersion?.hasPrefix("SQLite 3.") == true, "\(t.serverVersion ?? "")")
        #expect(t.serverVersion?.contains("ADBC API 1.1.0") == true)
        let r = try await conn.query(QueryRequest(sql: "SELECT id, email, name FROM customers WHERE id >= ? ORDER BY id", params: [2]))
        #expect(r.columns.map(\.name) == ["id", "email", "name"])
        #expect(r.columns.map(\.type) == ["int64", "text", "text"])
        #expect(r.rows == [[2, "b@x", "Bob"], [3, "c@x", .null]])
        #expect(!r.truncated)
        let limited = try await conn.query(QueryRequest(sql: "SELECT id FROM customers ORDER BY id", maxRows: 2))
        #expect(limited.rows == [[1], [2]])
        #expect(limited.truncated)
        // The driver types a column from its values (SQLite has no column types): BOOLEAN is an integer.
        let typed = try await conn.query(QueryRequest(sql: "SELECT total, paid, note FROM orders ORDER BY id"))
        #expect(typed.rows == [[250.5, 1, "AP8="], [20.0, 0, .null]], "\(typed.rows)")
        let params = try await conn.query(QueryRequest(sql: "SELECT ? AS b, ? AS d, ? AS t, ? AS n", params: [true, 2.5, "é", .null]))
        #expect(params.rows == [[1, 2.5, "é", .null]], "\(params.rows)")
        let ins = try await conn.query(QueryRequest(sql: "UPDATE customers SET name = ? WHERE id > ?", params: ["Z", 1]))
        #expect(ins.rowsAffected == 2)
        await #expect(throws: KernelError.self) {
            _ = try await conn.query(QueryRequest(sql: "SELECT * FROM customers WHERE id = ?", params: []))
        }
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT * FROM missing"))
            Issue.record("query on a missing table succeeded")
        } catch let e as KernelError {
            // The driver classes it INVALID_ARGUMENT (the bundled connector: not_found).
            #expect(e.kind == .invalidParams, "\(e)")
            #expect(e.message.contains("no such table"))
        }
        // The driver leaves SQLite's foreign_keys pragma off (SQLite's default; the bundled
        // connector turns it on), so the integrity check here is a UNIQUE violation.
        do {
            _ = try await conn.query(QueryRequest(sql: "INSERT INTO customers (id, email) VALUES (9, 'a@x')"))
            Issue.record("UNIQUE violation accepted")
        } catch let e as KernelError {
            #expect(e.message.contains("UNIQUE constraint failed"), "\(e)")
        }
        // adbc_driver_sqlite's AdbcStatementCancel does not interrupt a statement inside one
        // sqlite3_step (an endless count(*) would never stop): the long query here streams rows,
        // and the bridge stops it between batches. Only every 1000th row is returned: a batch
        // takes about a million recursion steps, so the row cap (max_rows) is reached seconds
        // after the 100 ms timeout or cancel, never before it, even on a fast machine.
        let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c WHERE x % 1000 = 0"
        do {
            _ = try await conn.query(QueryRequest(sql: slow, timeoutMs: 100))
            Issue.record("timeout not enforced")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable && e.message.contains("timeout"), "\(e)")
        }
        let canceller = RepeatingCanceller(conn, firstAfterMs: 100)
        do {
            _ = try await conn.query(QueryRequest(sql: slow))
            Issue.record("cancel had no effect")
        } catch let e as KernelError {
            #expect(e.kind == .conflict && e.message.contains("57014"), "\(e)")
        }
        canceller.stop()
        #expect(try await conn.query(QueryRequest(sql: "SELECT 1 AS one")).rows == [[1]])
        await conn.close()
        await host.shutdown()
    }

    @Test @KernelActor func sqliteReadOnlyRefusesWrites() async throws {
        guard let driver = Self.driver("sqlite") else { return }
        let (host, rw, path) = try await Self.sqliteSetUp(driver)
        await rw.close()
        // adbc_driver_sqlite has no adbc.connection.readonly: the bridge runs each statement
        // in a transaction opened with PRAGMA query_only and rolls it back.
        let ro = try await host.connect(plugin: "adbc", config: ["driver": .string(driver), "uri": .string("file:" + path), "read_only": true], secret: nil)
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) AS n FROM customers")).rows == [[3]])
        for sql in ["DELETE FROM customers", "CREATE TABLE t (x)", "INSERT INTO customers (email) VALUES ('q')"] {
            do {
                _ = try await ro.query(QueryRequest(sql: sql))
                Issue.record("write allowed: \(sql)")
            } catch let e as KernelError {
                #expect(e.kind == .forbidden, "\(sql): \(e)")
            }
        }
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) AS n FROM customers")).rows == [[3]])
        await ro.close()
        await #expect(throws: KernelError.self) {
            _ = try await host.connect(plugin: "adbc", config: ["driver": .string(driver), "uri": "file:/nonexistent/dir/x.db"], secret: nil)
        }
        await host.shutdown()
    }

    @Test @KernelActor func sqliteScanHasKeys() async throws {
        guard let driver = Self.driver("sqlite") else { return }
        let (host, conn, _) = try await Self.sqliteSetUp(driver)
        let scan = try await conn.scan()
        let expected = try JSONParser.parse("""
        {"schemas":[{"name":"main","tables":[
          {"name":"big_orders","type":"view","columns":[
            {"name":"id","type":"INTEGER","nullable":true,"default":null,"position":1},
            {"name":"total","type":"NUMERIC","nullable":true,"default":null,"position":2}],"constraints":[]},
          {"name":"customers","type":"table","columns":[
            {"name":"id","type":"INTEGER","nullable":true,"default":null,"position":1},
            {"name":"email","type":"TEXT","nullable":false,"default":null,"position":2},
            {"name":"name","type":"TEXT","nullable":true,"default":null,"position":3},
            {"name":"created","type":"REAL","nullable":true,"default":"0","position":4}],
           "constraints":[
            {"type":"primary_key","name":"customers_pkey","columns":["id"]}]},
          {"name":"orders","type":"table","columns":[
            {"name":"id","type":"INTEGER","nullable":false,"default":null,"position":1},
            {"name":"customer_id","type":"INTEGER","nullable":false,"default":null,"position":2},
            {"name":"line","type":"INTEGER","nullable":false,"default":null,"position":3},
            {"name":"total","type":"NUMERIC","nullable":true,"default":null,"position":4},
            {"name":"paid","type":"BOOLEAN","nullable":true,"default":"0","position":5},
            {"name":"note","type":"BLOB","nullable":true,"default":null,"position":6}],
           "constraints":[
            {"type":"foreign_key","name":"orders_fk0","columns":["customer_id"],"referenced_schema":"main","referenced_table":"customers","referenced_columns":["id"]},
            {"type":"primary_key","name":"orders_pkey","columns":["id","line"]}]}]}]}
        """)
        // The driver reports no UNIQUE constraints and (as SQLite's pragma does) an INTEGER
        // PRIMARY KEY as nullable; primary and foreign keys match the bundled connector's.
        #expect(scan == expected, "\(scan.pretty())")
        let shallow = try await conn.scan(depth: 2)
        #expect(shallow == (try JSONParser.parse("""
        {"schemas":[{"name":"main","tables":[{"name":"big_orders","type":"view"},{"name":"customers","type":"table"},{"name":"orders","type":"table"}]}]}
        """)), "\(shallow.pretty())")
        let one = try await conn.scan(depth: 3, table: "customers")
        #expect(one["schemas"]?[0]?["tables"]?.arrayValue?.count == 1)
        let main = try await conn.scan(depth: 2, schema: "main")
        #expect(main["schemas"]?[0]?["tables"]?.arrayValue?.count == 3)
        await #expect(throws: KernelError.self) { _ = try await conn.scan(table: "nope") }
        await #expect(throws: KernelError.self) { _ = try await conn.scan(schema: "other") }
        await conn.close()
        await host.shutdown()
    }

    // MARK: PostgreSQL through adbc_driver_postgresql (PostgresConnectorTests' fixture)

    @KernelActor static func pgSetUp(_ driver: String, readOnly: Bool = false) async throws -> (PluginHost, PluginConnection, String) {
        let url = PostgresConnectorTests.url ?? ""
        let host = try await bridge()
        _ = try await host.load(path: TestSupport.bundled("mcpk-postgres"))
        let schema = "adbc_\(getpid())_\(Int.random(in: 0..<1_000_000))"
        let admin = try await host.connect(plugin: "postgres", config: ["url": .string(url)], secret: nil)
        for stmt in [
            "CREATE SCHEMA \(schema)",
            "CREATE TABLE \(schema).customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(80), created_at timestamptz NOT NULL DEFAULT now())",
            "CREATE TABLE \(schema).orders (id integer NOT NULL, line smallint NOT NULL, customer_id integer NOT NULL REFERENCES \(schema).customers(id), total numeric(10,2), note text, PRIMARY KEY (id, line), CONSTRAINT orders_note_key UNIQUE (customer_id, note))",
            "CREATE VIEW \(schema).big_orders AS SELECT id, total FROM \(schema).orders WHERE total > 100",
            "INSERT INTO \(schema).customers (email, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bob'), ('c@x', NULL)",
            "INSERT INTO \(schema).orders VALUES (10, 1, 1, 250.50, 'first'), (11, 1, 2, 20, NULL)",
        ] { _ = try await admin.query(QueryRequest(sql: stmt)) }
        await admin.close()
        // The password travels as the secret (the bridge's secret_option, default "password").
        var config: [(String, JSON)] = [("driver", .string(driver)), ("uri", .string(url))]
        if readOnly { config.append(("read_only", true)) }
        let conn = try await host.connect(plugin: "adbc", config: .object(JSONObject(config)), secret: nil)
        return (host, conn, schema)
    }

    @KernelActor static func pgTearDown(_ host: PluginHost, _ conn: PluginConnection, _ schema: String) async {
        await conn.close()
        if let admin = try? await host.connect(plugin: "postgres", config: ["url": .string(PostgresConnectorTests.url ?? "")], secret: nil) {
            _ = try? await admin.query(QueryRequest(sql: "DROP SCHEMA \(schema) CASCADE"))
            await admin.close()
        }
        await host.shutdown()
    }

    @Test @KernelActor func postgresParamsTypesMaxRowsAndErrors() async throws {
        guard PostgresConnectorTests.available(), let driver = Self.driver("postgresql") else { return }
        let (host, conn, s) = try await Self.pgSetUp(driver)
        let t = try await conn.test()
        #expect(t.serverVersion?.hasPrefix("PostgreSQL") == true, "\(t.serverVersion ?? "")")
        let r = try await conn.query(QueryRequest(sql: "SELECT id, email, name FROM \(s).customers WHERE id >= $1 ORDER BY id", params: [2]))
        #expect(r.columns.map(\.name) == ["id", "email", "name"])
        #expect(r.columns.map(\.type) == ["int64", "text", "text"])
        #expect(r.rows == [[2, "b@x", "Bob"], [3, "c@x", .null]])
        #expect(!r.truncated)
        let typed = try await conn.query(QueryRequest(sql: "SELECT $1::bool AS b, $2::float8 AS d, $3::text AS t, '\\x00ff'::bytea AS x, NULL::int AS n, 1.5::numeric AS m", params: [true, 2.5, "é"]))
        #expect(typed.rows == [[true, 2.5, "é", "AP8=", .null, "1.5"]], "\(typed.rows)")
        // Dates, zoned timestamps, decimals, intervals and arrays in their documented renderings.
        let rendered = try await conn.query(QueryRequest(sql: "SELECT date '2024-02-29' AS d, timestamptz '2024-01-02 03:04:05.25+00' AS ts, timestamp '2024-01-02 03:04:05' AS naive, interval '1 year 2 months 3 days 04:05:06.5' AS i, ARRAY[1, NULL, 3] AS a, 12.30::numeric(6,2) AS m"))
        #expect(rendered.rows == [["2024-02-29", "2024-01-02T03:04:05.25Z", "2024-01-02T03:04:05", "P1Y2M3DT4H5M6.5S", "[1,null,3]", "12.30"]], "\(rendered.rows)")
        let limited = try await conn.query(QueryRequest(sql: "SELECT generate_series(1, 1000000000) AS g", maxRows: 3))
        #expect(limited.rows == [[1], [2], [3]])
        #expect(limited.truncated)
        // The connection is usable after a result the bridge stopped reading.
        #expect(try await conn.query(QueryRequest(sql: "SELECT 1 AS one")).rows == [[1]])
        let big = try await conn.query(QueryRequest(sql: "SELECT g FROM generate_series(1, 25000) g"))
        #expect(big.rows.count == 25000 && !big.truncated && big.rows.last == [25000])
        let bigLimited = try await conn.query(QueryRequest(sql: "SELECT g FROM generate_series(1, 25000) g", maxRows: 20000))
        #expect(bigLimited.rows.count == 20000 && bigLimited.truncated && bigLimited.rows.last == [20000])
        let mixed = "SELECT (g % 100)::int2 AS s, g::int4 AS i, g::int8 * 1000000000 AS l, g::float8 / 4 AS d, g::float4 / 2 AS f, g % 2 = 0 AS b, 'r' || g AS t, ('x' || g)::varchar(20) AS v, '\\x01ff'::bytea AS x, NULL::int AS n, -g AS neg FROM generate_series(1, 12000) g"
        let m = try await conn.query(QueryRequest(sql: mixed))
        #expect(m.rows.count == 12000)
        for g in [1, 9999, 10000, 10001, 12000] {
            let expected: [JSON] = [.int(Int64(g % 100)), .int(Int64(g)), .int(Int64(g) * 1_000_000_000), .double(Double(g) / 4),
                                    .double(Double(Float(g) / 2)), .bool(g % 2 == 0), .string("r\(g)"), .string("x\(g)"), "Af8=", .null, .int(Int64(-g))]
            #expect(m.rows[g - 1] == expected, "row \(g)")
        }
        let dml = try await conn.query(QueryRequest(sql: "WITH u AS (UPDATE \(s).customers SET name = name RETURNING id) SELECT count(*) AS n FROM u"))
        #expect(dml.rows == [[3]])
        let exact = try await conn.query(QueryRequest(sql: "SELECT g FROM generate_series(1, 3) g", maxRows: 3))
        #expect(exact.rows.count == 3 && !exact.truncated)
        let upd = try await conn.query(QueryRequest(sql: "UPDATE \(s).customers SET name = $1 WHERE id > $2", params: ["Z", 1]))
        #expect(upd.rowsAffected == 2)
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT * FROM \(s).nope"))
            Issue.record("missing table accepted")
        } catch let e as KernelError {
            #expect(e.kind == .notFound)
            #expect(e.message.contains("SQLSTATE 42P01"), "\(e)")
        }
        do {
            _ = try await conn.query(QueryRequest(sql: "INSERT INTO \(s).orders VALUES (1, 1, 999, 1, NULL)"))
            Issue.record("FK violation accepted")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams && e.message.contains("SQLSTATE 23503"), "\(e)")
        }
        await Self.pgTearDown(host, conn, s)
    }

    @Test @KernelActor func postgresTimeoutAndCancel() async throws {
        guard PostgresConnectorTests.available(), let driver = Self.driver("postgresql") else { return }
        let (host, conn, s) = try await Self.pgSetUp(driver)
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT pg_sleep(5)", timeoutMs: 100))
            Issue.record("timeout not enforced")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable, "\(e)")
            #expect(e.message.contains("statement timeout") && e.message.contains("57014"), "\(e)")
        }
        let canceller = RepeatingCanceller(conn, firstAfterMs: 200)
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT pg_sleep(10)"))
            Issue.record("cancel had no effect")
        } catch let e as KernelError {
            #expect(e.kind == .conflict && e.message.contains("57014"), "\(e)")
        }
        canceller.stop()
        #expect(try await conn.query(QueryRequest(sql: "SELECT 1 AS one")).rows == [[1]])
        await Self.pgTearDown(host, conn, s)
    }

    @Test @KernelActor func postgresReadOnlyRefusesWrites() async throws {
        guard PostgresConnectorTests.available(), let driver = Self.driver("postgresql") else { return }
        let (host, ro, s) = try await Self.pgSetUp(driver, readOnly: true)
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) AS n FROM \(s).customers")).rows == [[3]])
        // adbc_driver_postgresql has no adbc.connection.readonly: every statement runs in a
        // transaction the bridge opens READ ONLY and rolls back, so a SET cannot lift it.
        _ = try? await ro.query(QueryRequest(sql: "SET default_transaction_read_only = off"))
        for sql in ["INSERT INTO \(s).customers (email) VALUES ('q')", "DELETE FROM \(s).orders",
                    "WITH d AS (DELETE FROM \(s).orders RETURNING id) SELECT * FROM d"] {
            do {
                _ = try await ro.query(QueryRequest(sql: sql))
                Issue.record("write allowed: \(sql)")
            } catch let e as KernelError {
                #expect(e.kind == .forbidden, "\(sql): \(e)")
                #expect(e.message.contains("25006"), "\(sql): \(e)")
            }
        }
        #expect(try await ro.query(QueryRequest(sql: "SELECT count(*) AS n FROM \(s).orders")).rows == [[2]])
        await Self.pgTearDown(host, ro, s)
    }

    @Test @KernelActor func postgresScanHasKeys() async throws {
        guard PostgresConnectorTests.available(), let driver = Self.driver("postgresql") else { return }
        let (host, conn, s) = try await Self.pgSetUp(driver)
        let scan = try await conn.scan(depth: 3, schema: s)
        // The driver gives pg_type names (int4, not integer) and no nullability or defaults.
        let expected = try JSONParser.parse("""
        {"schemas":[{"name":"\(s)","tables":[
          {"name":"big_orders","type":"view","columns":[
            {"name":"id","type":"int4","nullable":null,"default":null,"position":1},
            {"name":"total","type":"numeric","nullable":null,"default":null,"position":2}],"constraints":[]},
          {"name":"customers","type":"table","columns":[
            {"name":"id","type":"int4","nullable":null,"default":null,"position":1},
            {"name":"email","type":"text","nullable":null,"default":null,"position":2},
            {"name":"name","type":"varchar","nullable":null,"default":null,"position":3},
            {"name":"created_at","type":"timestamptz","nullable":null,"default":null,"position":4}],
           "constraints":[
            {"type":"unique","name":"customers_email_key","columns":["email"]},
            {"type":"primary_key","name":"customers_pkey","columns":["id"]}]},
          {"name":"orders","type":"table","columns":[
            {"name":"id","type":"int4","nullable":null,"default":null,"position":1},
            {"name":"line","type":"int2","nullable":null,"default":null,"position":2},
            {"name":"customer_id","type":"int4","nullable":null,"default":null,"position":3},
            {"name":"total","type":"numeric","nullable":null,"default":null,"position":4},
            {"name":"note","type":"text","nullable":null,"default":null,"position":5}],
           "constraints":[
            {"type":"foreign_key","name":"orders_customer_id_fkey","columns":["customer_id"],"referenced_schema":"\(s)","referenced_table":"customers","referenced_columns":["id"]},
            {"type":"unique","name":"orders_note_key","columns":["customer_id","note"]},
            {"type":"primary_key","name":"orders_pkey","columns":["id","line"]}]}]}]}
        """)
        #expect(scan == expected, "\(scan.pretty())")
        let shallow = try await conn.scan(depth: 2, schema: s)
        #expect(shallow["schemas"]?[0]?["tables"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["big_orders", "customers", "orders"])
        #expect(shallow["schemas"]?[0]?["tables"]?[0]?["columns"] == nil)
        let schemas = try await conn.scan(depth: 1)
        #expect(schemas["schemas"]?.arrayValue?.contains { $0["name"]?.stringValue == s } == true)
        #expect(schemas["schemas"]?.arrayValue?.contains { $0["name"]?.stringValue == "pg_catalog" } == false)
        let one = try await conn.scan(depth: 3, schema: s, table: "orders")
        #expect(one["schemas"]?[0]?["tables"]?.arrayValue?.count == 1)
        await #expect(throws: KernelError.self) { _ = try await conn.scan(schema: s, table: "nope") }
        await #expect(throws: KernelError.self) { _ = try await conn.scan(schema: "no_such_schema_x") }
        await Self.pgTearDown(host, conn, s)
    }

    /// The bridge and its driver in a `mcpk plugin-host` child (process isolation): the same
    /// calls over the socket pair, the driver loaded only in the child.
    @Test @KernelActor func processIsolatedBridge() async throws {
        guard let driver = Self.driver("sqlite") else { return }
        let path = TestSupport.tempDir("adbc-process") + "/p.db"
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [], childCommand: [TestSupport.mcpkExecutable, "plugin-host"]))
        let info = try await host.load(path: TestSupport.bundled("mcpk-adbc"), isolation: .process)
        #expect(info.isolation == .process)
        let conn = try await host.connect(plugin: "adbc", config: ["driver": .string(driver), "uri": .string("file:" + path)], secret: nil)
        _ = try await conn.query(QueryRequest(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        let ins = try await conn.query(QueryRequest(sql: "INSERT INTO t (v) VALUES (?), (?)", params: ["a", "b"]))
        #expect(ins.rowsAffected == 2)
        let r = try await conn.query(QueryRequest(sql: "SELECT id, v FROM t ORDER BY id", maxRows: 1))
        #expect(r.rows == [[1, "a"]] && r.truncated)
        let scan = try await conn.scan(depth: 3, table: "t")
        #expect(scan["schemas"]?[0]?["tables"]?[0]?["constraints"]?[0]?["type"] == "primary_key", "\(scan.pretty())")
        await conn.close()
        await host.shutdown()
    }

    // MARK: discovery and driver errors

    @Test @KernelActor func discoveryListsDriversAndBadConfigIsClear() async throws {
        guard let driver = Self.driver("sqlite") else { return }
        let dir = TestSupport.tempDir("adbc-discovery")
        #expect(TestSupport.sh("cp '\(driver)' '\(dir)/'") == 0)
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [dir]))
        let list = await host.discover()
        let entry = list.first { $0.path.hasSuffix("/libadbc_driver_sqlite.so") }
        #expect(entry?.state == .adbcDriver)
        #expect(entry?.loadError == nil)
        #expect(entry?.json["adbc"]?["entrypoint"] == "AdbcDriverInit")
        #expect(entry?.json["adbc"]?["connection"]?["plugin"] == "adbc")
        await host.shutdown()

        let bridge = try await Self.bridge()
        let bad: [(JSON, String)] = [(["uri": "x"], "config.driver"),
                                 (["driver": "/nonexistent/libadbc_driver_x.so"], "cannot load ADBC driver"),
                                 (["driver": .string(TestSupport.bundled("mcpk-sqlite"))], "exports no ADBC entry point"),
                                 (["driver": .string(driver), "database_options": ["nested": ["x": 1]]], "config.database_options.nested"),
                                 (["driver": .string(driver), "database_options": ["adbc.no.such.option": "1"]], "adbc.no.such.option")]
        for (config, needle) in bad {
            do {
                _ = try await bridge.connect(plugin: "adbc", config: config, secret: nil)
                Issue.record("accepted: \(config)")
            } catch let e as KernelError {
                #expect(e.message.contains(needle), "\(e)")
            }
        }
        await bridge.shutdown()
    }

    // MARK: BigQuery through adbc_driver_bigquery (this machine cannot reach Google)

    /// The config the console's BigQuery form writes (project, dataset, location; the
    /// service-account JSON as the sealed secret).
    static func bigQueryConfig(_ driver: String) -> JSON {
        ["driver": .string(driver), "secret_option": "adbc.bigquery.sql.auth_credentials",
         "database_options": ["adbc.bigquery.sql.project_id": "mcpk-test", "adbc.bigquery.sql.dataset_id": "shop",
                              "adbc.bigquery.sql.location": "EU",
                              "adbc.bigquery.sql.auth_type": "adbc.bigquery.sql.auth_type.json_credential_string"]]
    }

    @Test @KernelActor func bigQueryLoadsAndBadCredentialsFailClearly() async throws {
        guard let driver = Self.driver("bigquery") else { return }
        let host = try await Self.bridge()
        // A service account whose key is not a key: refused at open with the driver's reason.
        let broken = #"{"type":"service_account","project_id":"mcpk-test","private_key_id":"x","private_key":"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n","client_email":"x@mcpk-test.iam.gserviceaccount.com","client_id":"1","token_uri":"https://oauth2.googleapis.com/token"}"#
        do {
            _ = try await host.connect(plugin: "adbc", config: Self.bigQueryConfig(driver), secret: broken)
            Issue.record("a broken service-account key was accepted")
        } catch let e as KernelError {
            #expect(e.message.contains("[BigQuery]") && e.message.contains("private key"), "\(e)")
        }
        // A well-formed key (a fresh RSA key): the driver opens, and the first round trip fails
        // with its clear error (no token from Google), within the statement timeout.
        let dir = TestSupport.tempDir("adbc-bq")
        #expect(TestSupport.sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '\(dir)/k.pem' 2>/dev/null") == 0)
        guard let key = readFile(dir + "/k.pem") else { Issue.record("openssl wrote no key"); return }
        let pem = JSON.string(key)
        let credential: JSON = ["type": "service_account", "project_id": "mcpk-test", "private_key_id": "x", "private_key": pem,
                                "client_email": "x@mcpk-test.iam.gserviceaccount.com", "client_id": "1",
                                "token_uri": "https://oauth2.googleapis.com/token"]
        let conn = try await host.connect(plugin: "adbc", config: Self.bigQueryConfig(driver), secret: credential.serialized())
        do {
            _ = try await conn.query(QueryRequest(sql: "SELECT 1", timeoutMs: 20_000))
            Issue.record("a query reached BigQuery from a machine without Google access")
        } catch let e as KernelError {
            #expect(e.message.contains("[BigQuery]"), "\(e)")
            #expect(e.message.contains("token") || e.message.contains("timeout"), "\(e)")
        }
        await conn.close()
        await host.shutdown()
    }
}
