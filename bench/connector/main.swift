// bench-connector: 1M rows × 5 columns from PostgreSQL through the postgres
// connector plugin to a socket client (NDJSON rows over a Unix socket pair),
// next to `psql -c "COPY (…) TO STDOUT"` measured in the same run; with
// --adbc-driver, also through the ADBC bridge and adbc_driver_postgresql.
//
//   bench-connector --url postgres://… [--plugin .build/release/libmcpk-postgres.so] [--rows 1000000]
//                   [--adbc-plugin .build/release/libmcpk-adbc.so --adbc-driver …/libadbc_driver_postgresql.so]
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import MCPKPluginABI

struct Options {
    var url = ""
    var plugin = ""
    var rows = 1_000_000
    var psql = "/usr/bin/psql"
    var adbcPlugin = ""
    var adbcDriver = ""

    init() {
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--url": url = args.next() ?? ""
            case "--plugin": plugin = args.next() ?? ""
            case "--rows": rows = Int(args.next() ?? "") ?? rows
            case "--psql": psql = args.next() ?? psql
            case "--adbc-plugin": adbcPlugin = args.next() ?? ""
            case "--adbc-driver": adbcDriver = args.next() ?? ""
            case "--mcpk": _ = args.next()
            default: break
            }
        }
        if plugin.isEmpty {
            var buf = [CChar](repeating: 0, count: 4097)
            let n = readlink("/proc/self/exe", &buf, 4096)
            let exe = String(decoding: buf[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            plugin = String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)]) + "/libmcpk-postgres.so"
        }
        if adbcPlugin.isEmpty { adbcPlugin = String(plugin[..<(plugin.lastIndex(of: "/") ?? plugin.endIndex)]) + "/libmcpk-adbc.so" }
    }
}

/// Writes every row as one NDJSON line to a socket, in 64 KiB writes,
/// encoding the plugin's typed cells directly (no intermediate JSON values).
final class SocketSink: CellRowSink {
    static let flushBytes = 64 << 10
    let fd: Int32
    var encoder = NDJSONRowEncoder(capacity: SocketSink.flushBytes * 2)
    var rows = 0

    init(fd: Int32) { self.fd = fd }

    func columns(_ columns: [QueryColumn]) -> Bool {
        encoder.append(line: JSON.array(columns.map(\.json)).serializedBytes())
        return true
    }

    func cells(_ cells: UnsafeBufferPointer<mcpk_value>) -> Bool {
        encoder.append(row: cells)
        rows += 1
        if encoder.bytes.count >= SocketSink.flushBytes { return flush() }
        return true
    }

    func row(_ cells: [JSON]) -> Bool {
        encoder.append(line: JSON.array(cells).serializedBytes())
        rows += 1
        if encoder.bytes.count >= SocketSink.flushBytes { return flush() }
        return true
    }

    func end(truncated: Bool, rowsAffected: Int64?) { _ = flush() }

    func flush() -> Bool {
        var off = 0
        let ok = encoder.bytes.withUnsafeBytes { p -> Bool in
            while off < p.count {
                let n = send(fd, p.baseAddress! + off, p.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        encoder.removeAll()
        return ok
    }
}

/// The socket client: reads until EOF, counting lines and bytes.
final class Reader: @unchecked Sendable {
    let fd: Int32
    var lines = 0
    var bytes = 0
    let done = ConditionLock()
    var finished = false

    init(fd: Int32) { self.fd = fd }

    func start() {
        let t = WorkerThread(name: "bench-client")
        t.submit {
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                self.bytes += n
                for i in 0..<n where buf[i] == 10 { self.lines += 1 }
            }
            self.done.withLock { self.finished = true; self.done.signal() }
        }
        t.stop()
    }

    func wait() {
        done.lock()
        while !finished { done.wait() }
        done.unlock()
    }
}

func query(rows: Int) -> String {
    "SELECT g AS id, g * 2 AS doubled, 'row ' || g AS label, g::float8 / 3 AS third, g % 2 = 0 AS even FROM generate_series(1, \(rows)) g"
}

func runPsql(_ o: Options) -> (seconds: Double, bytes: Int) {
    let out = "/tmp/mcpk-bench-copy-\(getpid()).txt"
    let cmd = "'\(o.psql)' '\(o.url)' -X -q -c \"COPY (\(query(rows: o.rows))) TO STDOUT\" > '\(out)'"
    let t0 = MonotonicClock.seconds()
    let rc = system(cmd)
    let dt = MonotonicClock.seconds() - t0
    var st = stat()
    stat(out, &st)
    unlink(out)
    if rc != 0 { print("psql failed (\(rc))"); exit(1) }
    return (dt, Int(st.st_size))
}

/// Which connector a run goes through: the bundled postgres plugin, or the ADBC bridge with a driver.
enum Path { case bundled, adbc }

@KernelActor
func runConnector(_ o: Options, _ path: Path = .bundled) async throws -> (seconds: Double, lines: Int, bytes: Int) {
    let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
    let conn: PluginConnection
    switch path {
    case .bundled:
        _ = try await host.load(path: o.plugin)
        conn = try await host.connect(plugin: "postgres", config: ["url": .string(o.url)], secret: nil)
    case .adbc:
        _ = try await host.load(path: o.adbcPlugin)
        conn = try await host.connect(plugin: "adbc", config: ["driver": .string(o.adbcDriver), "uri": .string(o.url)], secret: nil)
    }
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw KernelError.internal("socketpair") }
    let reader = Reader(fd: fds[1])
    let sink = SocketSink(fd: fds[0])
    let t0 = MonotonicClock.seconds()
    reader.start()
    try await conn.stream(QueryRequest(sql: query(rows: o.rows)), into: sink)
    shutdown(fds[0], Int32(SHUT_WR))
    reader.wait()
    let dt = MonotonicClock.seconds() - t0
    close(fds[0]); close(fds[1])
    await conn.close()
    await host.shutdown()
    return (dt, reader.lines, reader.bytes)
}

let options = Options()
guard !options.url.isEmpty else { print("usage: bench-connector --url postgres://… [--rows N] [--plugin path]"); exit(2) }
let sem = ConditionLock()
nonisolated(unsafe) var finished = false
Task { @KernelActor in
    do {
        // Warm-up (plans, caches), then measure each side twice and keep the best.
        _ = runPsql(Options.small(options))
        _ = try await runConnector(Options.small(options))
        let adbc = !options.adbcDriver.isEmpty
        if adbc { _ = try await runConnector(Options.small(options), .adbc) }
        var best: (Double, Double) = (.infinity, .infinity)
        var bestADBC = Double.infinity
        var lines = 0, adbcLines = 0
        for _ in 0..<2 {
            let p = runPsql(options)
            let c = try await runConnector(options)
            lines = c.lines
            best = (min(best.0, p.seconds), min(best.1, c.seconds))
            if adbc {
                let a = try await runConnector(options, .adbc)
                adbcLines = a.lines
                bestADBC = min(bestADBC, a.seconds)
            }
        }
        let psqlRate = Double(options.rows) / best.0
        let connRate = Double(options.rows) / best.1
        print("rows: \(options.rows) × 5 columns (lines received by the socket client: \(lines - 1) rows + header)")
        func f(_ v: Double, _ d: Int) -> String {
            var p = 1.0
            for _ in 0..<d { p *= 10 }
            let r = (v * p).rounded() / p
            return d == 0 ? String(Int(r)) : String(r)
        }
        print("psql COPY TO STDOUT:                \(f(best.0, 3)) s  \(f(psqlRate, 0)) rows/s")
        print("postgres connector → socket NDJSON: \(f(best.1, 3)) s  \(f(connRate, 0)) rows/s")
        print("ratio connector / psql: \(f(connRate / psqlRate * 100, 0)) % (target ≥ 50 %)")
        if adbc {
            let adbcRate = Double(options.rows) / bestADBC
            print("ADBC bridge + adbc_driver_postgresql → socket NDJSON: \(f(bestADBC, 3)) s  \(f(adbcRate, 0)) rows/s (\(adbcLines - 1) rows)")
            print("ratio ADBC bridge / psql: \(f(adbcRate / psqlRate * 100, 0)) % (target ≥ 50 %)")
        }
    } catch {
        print("bench failed: \(error)")
    }
    sem.withLock { finished = true; sem.signal() }
}
sem.lock()
while !finished { sem.wait() }
sem.unlock()

extension Options {
    static func small(_ o: Options) -> Options {
        var s = o
        s.rows = 10_000
        return s
    }
}
