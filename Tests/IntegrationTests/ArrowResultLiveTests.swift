import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// A Data step with `resultFormat: "arrow"` (issue 15): the rows stream into an Arrow IPC
/// stream artifact, the result references it, and a Python step reads it with the runtime's
/// pyarrow (a real reader: schema, values, nulls, batches). Through the bundled sqlite and
/// postgres connectors and the ADBC bridge (sqlite and PostgreSQL drivers from PyPI).
@Suite(.serialized) struct ArrowResultLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static func step(_ s: JSON, _ id: String) -> JSON? { EngineLiveTests.step(s, id) }

    /// The pinned ADBC drivers (`scripts/adbc-drivers.sh DIR`), or nil.
    static var adbcDrivers: String? {
        let dir = ProcessInfo.processInfo.environment["MCPK_TEST_ADBC_DRIVERS"] ?? ""
        if dir.isEmpty {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("MCPK_TEST_ADBC_DRIVERS is not set under CI=true") }
            else { print("ArrowResultLiveTests: MCPK_TEST_ADBC_DRIVERS not set: ADBC cases skipped") }
            return nil
        }
        return dir
    }

    /// Reads the Arrow artifact its `data` input references with pyarrow and describes it.
    static let reader = """
    import datetime, json
    import pyarrow as pa
    import pyarrow.ipc as ipc

    def cell(v):
        if isinstance(v, (datetime.datetime, datetime.date)):
            return v.isoformat()
        if isinstance(v, bytes):
            return v.hex()
        return v

    def main(data):
        ref = data["artifact"]
        with open(ref["path"], "rb") as f:
            reader = ipc.open_stream(f)
            batches = list(reader)
        table = pa.Table.from_batches(batches, schema=reader.schema)
        table.validate(full=True)
        ints = [c for c in table.column_names if pa.types.is_integer(table.schema.field(c).type)]
        return {
            "rows": table.num_rows,
            "batches": len(batches),
            "types": {f.name: str(f.type) for f in table.schema},
            "nulls": {c: table.column(c).null_count for c in table.column_names},
            "sums": {c: sum(v for v in table.column(c).to_pylist() if v is not None) for c in ints},
            "head": [[cell(v) for v in row.values()] for row in table.slice(0, 3).to_pylist()],
            "ref_rows": ref["rows"],
            "ref_bytes": ref["bytes"],
        }
    """

    /// Runs `select` as an arrow Data step followed by the pyarrow reader; returns (run, data result, reader result).
    func run(_ f: Fixture, connection: JSON, select: String, tag: String, maxRows: Int = 1000) throws -> (String, JSON, JSON) {
        try f.component("q-" + tag, ["type": "Data", "connection": connection, "query": .string(select),
                                     "maxRows": .int(Int64(maxRows)), "resultFormat": "arrow"])
        try f.component("read-" + tag, ["type": "Python Script", "codeContent": .string(Self.reader)])
        try f.workflow("arrow-" + tag, ["steps": [
            ["id": "q", "component": .string("q-" + tag)],
            ["id": "r", "component": .string("read-" + tag), "needs": ["q"], "inputs": ["data": "${steps.q.result}"]],
        ]])
        let id = try f.run("arrow-" + tag)
        let s = try f.wait(id, timeout: 120)
        #expect(s["status"] == "succeeded", "\(s)")
        return (id, Self.step(s, "q")?["result"] ?? .null, Self.step(s, "r")?["result"] ?? .null)
    }

    /// The Data result references the artifact instead of carrying rows, and the run keeps it.
    func expectReference(_ f: Fixture, run id: String, _ q: JSON, rows: Int64, columns: Int64) throws {
        #expect(q["rows"] == nil, "no inline rows: \(q)")
        let ref = q["artifact"]
        #expect(ref?["$artifact"] == "q.arrows" && ref?["format"] == "arrow-ipc-stream", "\(q)")
        #expect(ref?["rows"] == .int(rows) && ref?["columns"] == .int(columns) && q["row_count"] == .int(rows), "\(q)")
        #expect(ref?["path"] == "artifacts/q.arrows")
        let listed = try f.kernel.call("run.artifacts", ["id": .string(id)])["items"]?.arrayValue ?? []
        let kept = listed.first { $0["name"] == "q.arrows" }
        #expect(kept?["size"] == ref?["bytes"] && kept?["mime"] == "application/vnd.apache.arrow.stream", "\(listed)")
    }

    @Test func sqliteConnectorTypesNullsAndBatches() throws {
        let f = try Fixture()
        let conn = f.name("lite")
        _ = try f.kernel.call("connection.create", ["name": conn, "plugin": "sqlite",
                                                    "config": ["path": .string(f.kernel.home + "/arrow.db"), "create": true]])
        for sql in ["CREATE TABLE t (id INTEGER, x REAL, label TEXT, blob BLOB)",
                    "INSERT INTO t VALUES (1, 1.5, 'a', x'00ff'), (2, NULL, NULL, NULL), (NULL, -2.25, 'ü', x'')"] {
            _ = try f.kernel.call("connection.query", ["id": conn, "sql": .string(sql)])
        }
        let (id, q, r) = try run(f, connection: conn, select: "SELECT id, x, label, blob FROM t ORDER BY rowid", tag: "lite")
        try expectReference(f, run: id, q, rows: 3, columns: 4)
        #expect(r["types"] == ["id": "int64", "x": "double", "label": "string", "blob": "binary"], "\(r)")
        #expect(r["nulls"] == ["id": 1, "x": 1, "label": 1, "blob": 1])
        #expect(r["head"] == [[1, 1.5, "a", "00ff"], [2, .null, .null, .null], [.null, -2.25, "ü", ""]], "\(r)")
        #expect(r["sums"] == ["id": 3] && r["rows"] == 3 && r["batches"] == 1 && r["ref_rows"] == 3)

        // 70 000 rows: more than one RecordBatch (ArrowIPC batch of 65 536 rows), read back whole.
        let many = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 70000) SELECT n, n * 0.5 AS half FROM g"
        let (mid, mq, mr) = try run(f, connection: conn, select: many, tag: "many", maxRows: 100_000)
        try expectReference(f, run: mid, mq, rows: 70000, columns: 2)
        #expect(mq["artifact"]?["batches"] == 2 && mr["batches"] == 2 && mr["rows"] == 70000, "\(mq) \(mr)")
        #expect(mr["sums"] == ["n": .int(70000 * 70001 / 2)], "\(mr)")
        #expect(mr["types"] == ["n": "int64", "half": "double"])

        // A bad option is refused where it enters (the component schema), with its path.
        #expect { try f.component("bad", ["type": "Data", "connection": conn, "query": "SELECT 1", "resultFormat": "parquet"]) } throws: {
            "\($0)".contains("config.resultFormat")
        }
    }

    /// PostgreSQL column types through the bundled connector: bool, int8, float8, text, timestamptz, timestamp, date.
    static let pgSelect = """
        SELECT g AS id, (g % 2 = 0) AS even, g * 1.25::float8 AS x, 'row ' || g AS label,
               timestamptz '2024-02-29 12:34:56.123456+00' + g * interval '1 hour' AS at,
               timestamp '2000-01-01 00:00:00' + g * interval '1 second' AS naive, date '2024-01-01' + g AS day
        FROM generate_series(1, 3) g
        UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL ORDER BY 1 NULLS LAST
        """

    @Test func postgresConnectorTimestampsAndErrors() throws {
        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let f = try Fixture()
        let conn = f.name("pg")
        _ = try f.kernel.call("connection.create", ["name": conn, "plugin": "postgres", "config": ["url": .string(url)]])
        let (id, q, r) = try run(f, connection: conn, select: Self.pgSelect, tag: "pg")
        try expectReference(f, run: id, q, rows: 4, columns: 7)
        #expect(r["types"] == ["id": "int64", "even": "bool", "x": "double", "label": "string", "at": "timestamp[us, tz=UTC]",
                               "naive": "timestamp[us]", "day": "date32[day]"], "\(r)")
        #expect(r["head"]?[0] == [1, false, 1.25, "row 1", "2024-02-29T13:34:56.123456+00:00", "2000-01-01T00:00:01", "2024-01-02"], "\(r)")
        #expect(r["nulls"]?["at"] == 1 && r["nulls"]?["even"] == 1 && r["sums"]?["id"] == 6)

        // A timestamp Arrow cannot hold (infinity) fails the step naming the column and row.
        try f.component("inf", ["type": "Data", "connection": conn, "query": "SELECT 'infinity'::timestamptz AS t", "resultFormat": "arrow"])
        try f.workflow("inf", ["steps": [["id": "q", "component": "inf"]]])
        let s = try f.wait(try f.run("inf"))
        #expect(s["status"] == "failed")
        let error = Self.step(s, "q")?["error"]?.stringValue ?? ""
        #expect(error.contains("column 't' row 1") && error.contains("infinity"), "\(error)")
    }

    @Test func adbcBridgeSqliteAndPostgres() throws {
        guard let dir = Self.adbcDrivers else { return }
        let f = try Fixture()
        let lite = f.name("adbc-lite")
        _ = try f.kernel.call("connection.create", ["name": lite, "plugin": "adbc",
                                                    "config": ["driver": .string(dir + "/libadbc_driver_sqlite.so"),
                                                               "uri": .string(f.kernel.home + "/adbc.db")]])
        for sql in ["CREATE TABLE t (id INTEGER, x REAL, label TEXT)", "INSERT INTO t VALUES (1, 0.5, 'a'), (NULL, NULL, NULL), (3, 2.0, 'c')"] {
            _ = try f.kernel.call("connection.query", ["id": lite, "sql": .string(sql)])
        }
        let (id, q, r) = try run(f, connection: lite, select: "SELECT id, x, label FROM t ORDER BY rowid", tag: "adbc-lite")
        try expectReference(f, run: id, q, rows: 3, columns: 3)
        #expect(r["types"] == ["id": "int64", "x": "double", "label": "string"], "\(r)")
        #expect(r["head"] == [[1, 0.5, "a"], [.null, .null, .null], [3, 2.0, "c"]] && r["sums"] == ["id": 4], "\(r)")

        guard let url = BundledExecutorLiveTests.pgURL else { return }
        let pg = f.name("adbc-pg")
        _ = try f.kernel.call("connection.create", ["name": pg, "plugin": "adbc",
                                                    "config": ["driver": .string(dir + "/libadbc_driver_postgresql.so"), "uri": .string(url)]])
        let (pid, pq, pr) = try run(f, connection: pg, select: Self.pgSelect, tag: "adbc-pg")
        try expectReference(f, run: pid, pq, rows: 4, columns: 7)
        #expect(pr["types"] == ["id": "int64", "even": "bool", "x": "double", "label": "string", "at": "timestamp[us, tz=UTC]",
                                "naive": "timestamp[us]", "day": "date32[day]"], "\(pr)")
        #expect(pr["head"]?[0] == [1, false, 1.25, "row 1", "2024-02-29T13:34:56.123456+00:00", "2000-01-01T00:00:01", "2024-01-02"], "\(pr)")
        #expect(pr["nulls"]?["day"] == 1 && pr["sums"]?["id"] == 6)
    }
}
