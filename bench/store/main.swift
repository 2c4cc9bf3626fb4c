// bench-store: component create/s and get/s on SQLiteStore and PostgresStore,
// next to the `sqlite3` CLI / `psql` running the same statements (one
// transaction per create: name check, component, version, audit row), with ratios.
//
//   bench-store [--n N] [--pg URL]      (PG URL also from MCPK_BENCH_PG_URL / MCPK_TEST_PG_URL)
import Glibc
import KernelCore
import KernelLoop
import KernelStore

enum BenchLimits {
    static let defaultCount = 2000
}

func env(_ k: String) -> String? { getenv(k).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }

func makeTemp() -> String {
    var t = Array("/tmp/mcpk-bench-store.XXXXXX".utf8CString)
    guard let p = mkdtemp(&t) else { return "/tmp/mcpk-bench-store-\(getpid())" }
    return String(cString: p)
}

func writeFile(_ path: String, _ text: String) {
    guard let f = fopen(path, "w") else { return }
    fputs(text, f)
    fclose(f)
}

/// Runs a shell command, returns its exit status.
func sh(_ cmd: String) -> Int32 {
    let rc = system(cmd)
    return rc == -1 ? -1 : (rc >> 8) & 0xFF
}

func sqlQuote(_ s: String) -> String { "'" + s.replacing("'", with: "''") + "'" }

struct Row { let name: String; let ops: Int; let seconds: Double }

func fmt(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return String(r)
}

func report(_ title: String, _ ours: Row, _ peer: Row) {
    let a = Double(ours.ops) / ours.seconds, b = Double(peer.ops) / peer.seconds
    print("  \(title)")
    print("    \(ours.name.padding(28)) \(fmt(a).padding(10, left: true)) ops/s")
    print("    \(peer.name.padding(28)) \(fmt(b).padding(10, left: true)) ops/s")
    print("    ratio (store / peer): \(String((a / b * 100).rounded() / 100))")
}

extension String {
    func padding(_ n: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, n - count))
        return left ? pad + self : self + pad
    }
}

/// The statements one `createComponent` runs, as plain SQL for a CLI peer.
func createScript(_ n: Int, prefix: String, dialect: String) -> (String, [String]) {
    var out = ""
    var ids: [String] = []
    let ts = Timestamp.now().milliseconds
    for i in 0..<n {
        let id = Identifier.uuid()
        ids.append(id)
        let name = sqlQuote("\(prefix)-\(i)")
        let config: JSON = ["codeContent": .string("print(\(i))"), "requirements": ["numpy"]]
        let cfg = sqlQuote(config.serialized())
        out += dialect == "sqlite" ? "BEGIN IMMEDIATE;\n" : "BEGIN;\n"
        out += "SELECT id FROM components WHERE lower(name) = lower(\(name));\n"
        out += "INSERT INTO components (id, name, type, description, tags, owner, latest_version, created_at, updated_at) VALUES ('\(id)', \(name), 'Python Script', 'bench', '[\"bench\"]', 'bench', 1, \(ts), \(ts));\n"
        out += "INSERT INTO component_versions (component_id, version, type, config, checksum, created_at) VALUES ('\(id)', 1, 'Python Script', \(cfg), '\(config.contentChecksum)', \(ts));\n"
        out += "INSERT INTO action_logs (id, at, actor, action_type, entity_type, entity_id, details) VALUES ('\(Identifier.uuid())', \(ts), 'bench', 'create', 'component', '\(id)', '{}');\n"
        out += "COMMIT;\n"
    }
    return (out, ids)
}

func getScript(_ ids: [String]) -> String {
    ids.map { "SELECT id, name, type, description, tags, owner, latest_version, created_at, updated_at FROM components WHERE id = '\($0)' OR lower(name) = lower('\($0)');\n" }.joined()
}

@KernelActor
func benchStore(_ store: SQLStore, n: Int, label: String) async throws -> (Row, Row) {
    var ids: [String] = []
    ids.reserveCapacity(n)
    let t0 = MonotonicClock.seconds()
    for i in 0..<n {
        let c = Component(id: Identifier.uuid(), name: "\(label)-\(i)", type: .pythonScript, description: "bench", tags: ["bench"],
                          owner: "bench", createdAt: .now(), updatedAt: .now())
        let config: JSON = ["codeContent": .string("print(\(i))"), "requirements": ["numpy"]]
        _ = try await store.createComponent(c, config: config, audit: ActionLog(id: Identifier.uuid(), at: .now(), actor: "bench",
                                                                                actionType: "create", entityType: "component", entityID: c.id))
        ids.append(c.id)
    }
    let t1 = MonotonicClock.seconds()
    for id in ids { _ = try await store.component(id) }
    let t2 = MonotonicClock.seconds()
    return (Row(name: "\(label) create", ops: n, seconds: t1 - t0), Row(name: "\(label) get", ops: n, seconds: t2 - t1))
}

@KernelActor
func run() async -> Int32 {
    var n = BenchLimits.defaultCount
    var pgURL = env("MCPK_BENCH_PG_URL") ?? env("MCPK_TEST_PG_URL")
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        switch a {
        case "--n": n = args.next().flatMap { Int($0) } ?? n
        case "--pg": pgURL = args.next()
        default: _ = args.next() // e.g. --mcpk PATH from bench/run-all.sh
        }
    }
    let dir = makeTemp()
    print("store benchmark: \(n) component creates (one transaction each, with audit row), then \(n) gets by id")
    do {
        // SQLite: the store vs the sqlite3 CLI on a database with the same schema and pragmas.
        let store = try await SQLiteStore.open(path: dir + "/store.db", home: dir)
        let (c, g) = try await benchStore(store, n: n, label: "SQLiteStore")
        await store.close()
        let peerDB = dir + "/peer.db"
        let schema = try await SQLiteStore.open(path: peerDB, home: dir)
        await schema.close()
        let (script, ids) = createScript(n, prefix: "peer", dialect: "sqlite")
        let pragmas = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA foreign_keys = ON;\n"
        writeFile(dir + "/create.sql", pragmas + script)
        writeFile(dir + "/get.sql", pragmas + getScript(ids))
        var t0 = MonotonicClock.seconds()
        guard sh("sqlite3 \(peerDB) < \(dir)/create.sql > /dev/null") == 0 else { print("sqlite3 CLI failed (apt-get install sqlite3)"); return 1 }
        let pc = Row(name: "sqlite3 CLI create", ops: n, seconds: MonotonicClock.seconds() - t0)
        t0 = MonotonicClock.seconds()
        _ = sh("sqlite3 \(peerDB) < \(dir)/get.sql > /dev/null")
        let pg = Row(name: "sqlite3 CLI get", ops: n, seconds: MonotonicClock.seconds() - t0)
        print("SQLite")
        report("create", c, pc)
        report("get", g, pg)
    } catch {
        print("SQLite benchmark failed: \(error)")
        return 1
    }
    guard let pgURL else {
        print("PostgreSQL: skipped (set MCPK_BENCH_PG_URL or run bench/store/run.sh, which starts a private server)")
        _ = sh("rm -rf \(dir)")
        return 0
    }
    do {
        let store = try await PostgresStore.open(url: pgURL, home: dir)
        try await store.database.write { tx in
            for t in ["action_logs", "component_versions", "workflow_components", "components"] { try await tx.execute("DELETE FROM \(t)") }
        }
        let (c, g) = try await benchStore(store, n: n, label: "PostgresStore")
        await store.close()
        let (script, ids) = createScript(n, prefix: "peer", dialect: "postgres")
        writeFile(dir + "/pcreate.sql", script)
        writeFile(dir + "/pget.sql", getScript(ids))
        var t0 = MonotonicClock.seconds()
        guard sh("psql -q -X -v ON_ERROR_STOP=1 '\(pgURL)' -f \(dir)/pcreate.sql > /dev/null") == 0 else { print("psql failed"); return 1 }
        let pc = Row(name: "psql create", ops: n, seconds: MonotonicClock.seconds() - t0)
        t0 = MonotonicClock.seconds()
        _ = sh("psql -q -X '\(pgURL)' -f \(dir)/pget.sql > /dev/null")
        let pg = Row(name: "psql get", ops: n, seconds: MonotonicClock.seconds() - t0)
        print("PostgreSQL")
        report("create", c, pc)
        report("get", g, pg)
    } catch {
        print("PostgreSQL benchmark failed: \(error)")
        return 1
    }
    _ = sh("rm -rf \(dir)")
    return 0
}

@main
struct BenchStore {
    static func main() async {
        let code = await run()
        exit(code)
    }
}
