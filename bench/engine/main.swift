// bench/engine: the run engine end to end through real `mcpk serve` kernels, each figure next
// to a peer measured in the same run (peers are spawned with posix_spawn, not Foundation's
// Process, whose own spawn cost would hide the gap). Prints figures, ratios and the goals of
// issue 12; asserts nothing.
//   1. 40 sequential fibo(10) Python Script steps, submit → run end, warm (default kernel) and
//      cold (kernel started with MCPK_RUNNERS=off) — peers: 40 × `python3 -c pass`, and 40 ×
//      `bwrap … python3 -c pass` with the sandbox's own bwrap arguments (Sandbox.peerBwrapCommand).
//   2. Trivial sandboxed steps per second, 2 × cores concurrency (the kernel's default).
//   3. In-process no-op steps per second (independent Utility merges) — peer: control-socket
//      `kernel.ping` round trips per second; on SQLite and, with --pg URL, on PostgreSQL.
//   4. Step stdout line → subscriber latency p50/p99 — peer: the same lines over a plain pipe.
//   5. forEach items per second (issue 17): one 10,000-item step of in-process Utility merges (SQLite and,
//      with --pg, PostgreSQL) and one 500-item step of sandboxed Python Script items.
// Usage: bench-engine --mcpk PATH [--pg postgres://…] [--quick] [--foreach-only]
import Glibc
import KernelClient
import KernelCore
import KernelLoop
import KernelSandbox

func wallNow() -> Double { var ts = timespec(); clock_gettime(CLOCK_REALTIME, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
func pct(_ xs: [Double], _ p: Double) -> Double { let s = xs.sorted(); return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))] }
func median(_ xs: [Double]) -> Double { pct(xs, 0.5) }
func fmt(_ d: Double, _ places: Int = 2) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = withVaList([d]) { vsnprintf(&buf, buf.count, "%.\(places)f", $0) }
    return String(nulTerminated: buf)
}

/// Command-line options, parsed once (immutable, so every function may read them).
struct BenchOptions {
    var mcpk = ".build/release/mcpk"
    var pgURL: String?
    var quick = false
    /// Only section 5 (forEach items/s).
    var foreachOnly = false

    static func parse(_ arguments: ArraySlice<String>) -> BenchOptions {
        var o = BenchOptions()
        var args = arguments
        while let a = args.first {
            args = args.dropFirst()
            switch a {
            case "--mcpk": if let v = args.first { o.mcpk = v; args = args.dropFirst() }
            case "--pg": if let v = args.first { o.pgURL = v; args = args.dropFirst() }
            case "--quick": o.quick = true
            case "--foreach-only": o.foreachOnly = true
            default: break
            }
        }
        return o
    }
}
let options = BenchOptions.parse(CommandLine.arguments.dropFirst())
let mcpk = options.mcpk, pgURL = options.pgURL, quick = options.quick, foreachOnly = options.foreachOnly
let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
if foreachOnly {
    try forEachSection()
    exit(0)
}

// MARK: posix_spawn peers

/// Spawns `argv` (stdout to `stdoutFD` when given, else /dev/null) and returns its pid.
func spawn(_ argv: [String], env: [String], stdoutFD: Int32? = nil) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if let fd = stdoutFD { posix_spawn_file_actions_adddup2(&actions, fd, 1) } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let cargv = argv.map { strdup($0) } + [nil]
    let cenv = env.map { strdup($0) } + [nil]
    defer { for p in cargv { free(p) }; for p in cenv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cargv, cenv)
    return rc == 0 ? pid : -1
}

func waitExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

/// Seconds for `n` spawns of `argv` one after another.
func sequentialSpawns(_ n: Int, _ argv: [String]) -> Double {
    let t0 = MonotonicClock.seconds()
    for _ in 0..<n { _ = waitExit(spawn(argv, env: ["PATH=/usr/bin:/bin"])) }
    return MonotonicClock.seconds() - t0
}

// MARK: kernels

final class Kernel {
    let home: String
    let pid: pid_t
    let client: ControlClient
    let label: String

    init(label: String, extraEnv: [String]) throws {
        self.label = label
        var template = Array("/tmp/mcpk-bench-engine-XXXXXX".utf8CString)
        home = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        var env: [String] = []
        var i = 0
        while let e = environ[i] {
            let s = String(cString: e)
            if !s.hasPrefix("MCPK_") && !s.hasPrefix("DATABASE_URL=") { env.append(s) }
            i += 1
        }
        env += ["MCPK_HOME=\(home)", "MCPK_HTTP=off", "MCPK_LOG_LEVEL=warning"] + extraEnv
        let log = open(home + "/serve.log", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        pid = spawn([mcpk, "serve"], env: env, stdoutFD: log)
        close(log)
        var c: ControlClient?
        for _ in 0..<1000 {
            if let cl = try? ControlClient(path: home + "/mcpk.sock"), (try? cl.call("kernel.status")) != nil { c = cl; break }
            usleep(20_000)
        }
        guard let c else { throw KernelError.unavailable("kernel \(label) did not start (see \(home)/serve.log)") }
        client = c
    }

    func stop() {
        kill(pid, SIGTERM)
        _ = waitExit(pid)
        if home.hasPrefix("/tmp/mcpk-bench-engine-") { _ = system("rm -rf '\(home)'") }
    }

    func ensure(_ method: String, _ params: JSON) throws {
        do { _ = try client.call(method, params) } catch ControlClient.ClientError.rpc(_, _, let kind, _) where kind == "conflict" {}
    }

    /// Submits a run and follows it (its own subscriber connection) to its `end` event:
    /// (seconds from submit to end, end status).
    func runToEnd(_ workflow: String) throws -> (Double, String) {
        let sub = try ControlClient(path: home + "/mcpk.sock")
        let t0 = MonotonicClock.seconds()
        let id = try client.call("workflow.run", ["id": .string(workflow)])["run_id"]?.stringValue ?? ""
        let reply = try sub.call("run.subscribe", ["id": .string(id)])
        if let end = reply["events"]?.arrayValue?.first(where: { $0["type"] == "end" }) {
            return (MonotonicClock.seconds() - t0, end["payload"]?["status"]?.stringValue ?? "?")
        }
        for n in sub.takeNotifications() where n["params"]?["event"]?["type"] == "end" {
            return (MonotonicClock.seconds() - t0, n["params"]?["event"]?["payload"]?["status"]?.stringValue ?? "?")
        }
        while let m = try sub.readMessage() {
            if m["method"] == "run.event", m["params"]?["event"]?["type"] == "end" {
                return (MonotonicClock.seconds() - t0, m["params"]?["event"]?["payload"]?["status"]?.stringValue ?? "?")
            }
        }
        return (MonotonicClock.seconds() - t0, "disconnected")
    }

    /// `kernel.ping` round trips per second over the control socket (one client, sequential).
    func pingRate(_ n: Int) throws -> Double {
        let t0 = MonotonicClock.seconds()
        for _ in 0..<n { _ = try client.call("kernel.ping") }
        return Double(n) / (MonotonicClock.seconds() - t0)
    }
}

func chain(_ n: Int, component: String) -> JSON {
    ["steps": .array((1...n).map { i in
        var o = JSONObject([("id", .string("s\(i)")), ("component", .string(component))])
        if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
        return .object(o)
    })]
}

func independent(_ n: Int, component: String) -> JSON {
    ["steps": .array((1...n).map { .object(JSONObject([("id", .string("u\($0)")), ("component", .string(component))])) })]
}

let fibo = "def fibo(n):\n    return n if n < 2 else fibo(n - 1) + fibo(n - 2)\n\ndef main(**kw):\n    return fibo(10)\n"

func goal(_ ok: Bool) -> String { ok ? "met" : "NOT met" }

// MARK: 1. 40 sequential fibo(10) Python steps, warm and cold

/// The bwrap peer's command line and the temporary home its work dir lives in.
@KernelActor
func bwrapPeerCommand() throws -> (home: String, argv: [String]) {
    var template = Array("/tmp/mcpk-bench-engine-peer-XXXXXX".utf8CString)
    let home = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    let sandbox = Sandbox(configuration: SandboxConfiguration(home: home, settings: ["MCPK_PYTHON_RUNTIME", "MCPK_SANDBOX", "MCPK_CGROUP_ROOT", "MCPK_RUNTIME_DIR", "MCPK_PIP_CACHE_DIR"].reduce(into: [String: String]()) { $0[$1] = getenv($1).map { String(cString: $0) } }))
    return (home, try sandbox.peerBwrapCommand(work: home + "/work", executable: "/usr/bin/python3", arguments: ["-c", "pass"]))
}

let steps40 = 40
let (peerHome, bwrapCommand) = try await bwrapPeerCommand()
defer { if peerHome.hasPrefix("/tmp/mcpk-bench-engine-peer-") { _ = system("rm -rf '\(peerHome)'") } }
print("== 1. \(steps40) sequential fibo(10) Python Script steps, submit → run end")
var sequential: [String: Double] = [:]
for (label, env) in [("warm", [String]()), ("cold", ["MCPK_RUNNERS=off"])] {
    let k = try Kernel(label: label, extraEnv: env)
    defer { k.stop() }
    try k.ensure("component.create", ["name": "fibo", "config": ["type": "Python Script", "codeContent": .string(fibo)]])
    try k.ensure("workflow.create", ["name": "fibo40", "definition": chain(steps40, component: "fibo")])
    _ = try k.runToEnd("fibo40")  // first run: per-component caches, runner pool start
    var times: [Double] = []
    var status = "?"
    for _ in 0..<(quick ? 1 : 3) {
        let (t, s) = try k.runToEnd("fibo40")
        times.append(t)
        status = s
    }
    sequential[label] = median(times)
    print("  \(label) (\(status)): \(fmt(median(times) * 1000, 0)) ms total, \(fmt(median(times) * 1000 / Double(steps40))) ms/step (median of \(times.count))")
}
let barePython = sequentialSpawns(steps40, ["/usr/bin/python3", "-c", "pass"])
let bwrapPython = sequentialSpawns(steps40, bwrapCommand)
print("  peer: \(steps40) × python3 -c pass (posix_spawn) = \(fmt(barePython * 1000, 0)) ms; \(steps40) × bwrap … python3 -c pass = \(fmt(bwrapPython * 1000, 0)) ms")
if let warm = sequential["warm"], let cold = sequential["cold"] {
    print("  ratios: warm/bwrap \(fmt(warm / bwrapPython)), warm/python3 \(fmt(warm / barePython)), cold/bwrap \(fmt(cold / bwrapPython)), cold/python3 \(fmt(cold / barePython))")
    print("  goals: warm < 0.16 s: \(goal(warm < 0.16)); warm ≤ 0.25 × bwrap floor (\(fmt(0.25 * bwrapPython, 3)) s): \(goal(warm <= 0.25 * bwrapPython)); cold ≤ 1.0 s: \(goal(cold <= 1.0))")
}

// MARK: 2. trivial sandboxed steps per second

do {
    let n = quick ? 40 : 120
    print("== 2. \(n) trivial sandboxed Python steps, \(2 * cores) at a time (2 × \(cores) cores)")
    let k = try Kernel(label: "sandboxed", extraEnv: [])
    defer { k.stop() }
    try k.ensure("component.create", ["name": "one", "config": ["type": "Python Script", "codeContent": "def main(**kw):\n    return 1\n"]])
    try k.ensure("workflow.create", ["name": "wide", "definition": independent(n, component: "one")])
    _ = try k.runToEnd("wide")
    let (t, s) = try k.runToEnd("wide")
    let rate = Double(n) / t
    print("  \(s): \(fmt(rate, 1)) steps/s (\(fmt(t * 1000, 0)) ms)")
    let peer = Double(steps40) / bwrapPython
    print("  peer: sequential bwrap … python3 spawns \(fmt(peer, 1))/s → ratio \(fmt(rate / peer))")
    print("  goal: ≥ 300 steps/s on 2 cores: \(goal(rate >= 300))")
}

// MARK: 3. in-process no-op steps per second

func inProcess(_ label: String, env: [String]) throws {
    let n = 1000  // EngineLimits.maxStepsPerWorkflow
    let runs = quick ? 2 : 5
    let k = try Kernel(label: label, extraEnv: env)
    defer { k.stop() }
    try k.ensure("component.create", ["name": "noop", "config": ["type": "Utility", "operation": "merge"]])
    try k.ensure("workflow.create", ["name": .string("noop\(n)"), "definition": independent(n, component: "noop")])
    _ = try k.runToEnd("noop\(n)")
    var rates: [Double] = []
    var status = "?"
    let before = try k.client.call("kernel.status")["engine"]?["timings_ms"] ?? .null
    for _ in 0..<runs {
        let (t, s) = try k.runToEnd("noop\(n)")
        rates.append(Double(n) / t)
        status = s
    }
    let after = try k.client.call("kernel.status")["engine"]?["timings_ms"] ?? .null
    func delta(_ key: String) -> Double { (after[key]?.doubleValue ?? 0) - (before[key]?.doubleValue ?? 0) }
    let attempts = max(1, delta("attempts"))
    let rpc = try k.pingRate(5000)
    let rate = median(rates)
    print("  \(label) (\(status)): \(fmt(rate, 0)) steps/s (median of \(runs) runs of \(n) independent Utility merges)")
    print("    engine overhead per step: dispatch \(fmt(delta("dispatch") / attempts, 3)) ms + transition \(fmt(delta("transition") / attempts, 3)) ms; executor \(fmt(delta("execution") / attempts, 3)) ms")
    print("    peer: kernel.ping round trips \(fmt(rpc, 0))/s → ratio \(fmt(rate / rpc))")
    print("    goals: ≥ 10,000 steps/s: \(goal(rate >= 10_000)); dispatch + transition < 0.5 ms: \(goal((delta("dispatch") + delta("transition")) / attempts < 0.5))")
}

print("== 3. in-process no-op steps per second")
try inProcess("SQLite", env: [])
if let pgURL {
    try inProcess("PostgreSQL", env: ["DATABASE_URL=\(pgURL)"])
} else {
    print("  PostgreSQL: skipped (pass --pg postgres://…)")
}

// MARK: 4. stdout line → subscriber latency

do {
    let lines = quick ? 500 : 2000
    print("== 4. step stdout line → subscriber latency over \(lines) lines")
    let k = try Kernel(label: "latency", extraEnv: [])
    defer { k.stop() }
    let code: String = "import time\ndef main(n):\n    for i in range(n):\n        print('%.6f' % time.time(), flush=True)\n        time.sleep(0.0005)\n    return n\n"
    try k.ensure("component.create", ["name": "stamps", "config": ["type": "Python Script", "codeContent": .string(code)]])
    try k.ensure("workflow.create", ["name": "stamps", "definition": ["steps": [["id": "p", "component": "stamps", "inputs": ["n": .int(Int64(lines))]]]]])
    let sub = try ControlClient(path: k.home + "/mcpk.sock")
    let rid = try k.client.call("workflow.run", ["id": "stamps"])["run_id"]?.stringValue ?? ""
    var latencies: [Double] = []
    var ended = false
    func take(_ e: JSON, at t: Double) {
        if e["type"] == "log", e["payload"]?["stream"] == "stdout", let s = e["payload"]?["line"]?.stringValue, let stamp = Double(s) {
            latencies.append((t - stamp) * 1000)
        }
        if e["type"] == "end" { ended = true }
    }
    let reply = try sub.call("run.subscribe", ["id": .string(rid)])
    for e in reply["events"]?.arrayValue ?? [] { take(e, at: wallNow()) }
    for n in sub.takeNotifications() { if let e = n["params"]?["event"] { take(e, at: wallNow()) } }
    while !ended, let m = try sub.readMessage() {
        if m["method"] == "run.event", let e = m["params"]?["event"] { take(e, at: wallNow()) }
    }
    // Peer: the same program's lines over a plain pipe.
    var fds: [Int32] = [0, 0]
    _ = pipe(&fds)
    let pid = spawn(["/usr/bin/python3", "-c", "import time\nfor i in range(\(lines)):\n    print('%.6f' % time.time(), flush=True)\n    time.sleep(0.0005)\n"],
                    env: ["PATH=/usr/bin:/bin"], stdoutFD: fds[1])
    close(fds[1])
    var pipeLat: [Double] = []
    var buf: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fds[0], &chunk, chunk.count)
        if n <= 0 { break }
        let t = wallNow()
        buf += chunk[0..<n]
        while let nl = buf.firstIndex(of: 10) {
            if let stamp = Double(String(decoding: buf[0..<nl], as: UTF8.self)) { pipeLat.append((t - stamp) * 1000) }
            buf.removeSubrange(0...nl)
        }
    }
    close(fds[0])
    _ = waitExit(pid)
    print("  subscriber: p50 \(fmt(pct(latencies, 0.5), 3)) ms, p99 \(fmt(pct(latencies, 0.99), 3)) ms (\(latencies.count) lines)")
    print("  peer: plain pipe p50 \(fmt(pct(pipeLat, 0.5), 3)) ms, p99 \(fmt(pct(pipeLat, 0.99), 3)) ms → p50 ratio \(fmt(pct(latencies, 0.5) / max(0.001, pct(pipeLat, 0.5)))), p99 ratio \(fmt(pct(latencies, 0.99) / max(0.001, pct(pipeLat, 0.99))))")
    print("  goal: p99 < 2 ms: \(goal(pct(latencies, 0.99) < 2))")
}

// MARK: 5. forEach items per second

/// A workflow of one forEach step over `n` items (the list is the input schema's default).
func fanOut(_ n: Int, component: String, maxParallel: Int?) -> JSON {
    var step = JSONObject([("id", "each"), ("component", .string(component)), ("forEach", "${inputs.items}"),
                           ("inputs", ["v": ["item": "${item}", "index": "${index}"]])])
    if let maxParallel { step["maxParallel"] = JSON(maxParallel) }
    return ["inputs": ["type": "object", "properties": ["items": ["type": "array", "default": .array((0..<n).map { JSON($0) })]]],
            "steps": [.object(step)]]
}

func forEachRate(_ label: String, env: [String], n: Int, component: String, config: JSON, maxParallel: Int?) throws {
    let k = try Kernel(label: label, extraEnv: env)
    defer { k.stop() }
    try k.ensure("component.create", ["name": .string(component), "config": config])
    try k.ensure("workflow.create", ["name": .string("fan\(n)\(component)"), "definition": fanOut(n, component: component, maxParallel: maxParallel)])
    _ = try k.runToEnd("fan\(n)\(component)")  // warm-up (runner pools, caches)
    var rates: [Double] = []
    var status = "?"
    for _ in 0..<(quick ? 1 : 3) {
        let (t, s) = try k.runToEnd("fan\(n)\(component)")
        rates.append(Double(n) / t)
        status = s
    }
    print("  \(label) (\(status)): \(fmt(median(rates), 0)) items/s (median of \(rates.count) runs of one \(n)-item forEach, maxParallel \(maxParallel.map(String.init) ?? "default"))")
}

func forEachSection() throws {
    print("== 5. forEach items per second")
    let fanItems = quick ? 2000 : 10_000
    try forEachRate("in-process Utility merge, SQLite", env: [], n: fanItems, component: "merge",
                    config: ["type": "Utility", "operation": "merge"], maxParallel: nil)
    if let pgURL {
        try forEachRate("in-process Utility merge, PostgreSQL", env: ["DATABASE_URL=\(pgURL)"], n: fanItems, component: "merge",
                        config: ["type": "Utility", "operation": "merge"], maxParallel: nil)
    }
    try forEachRate("sandboxed Python Script, SQLite", env: [], n: quick ? 100 : 500, component: "echo",
                    config: ["type": "Python Script", "codeContent": "def main(**kw):\n    return kw\n"], maxParallel: cores * 2)
}
try forEachSection()
