// bench/engine: the run engine end to end through a real `mcpk serve`.
//   1. 40 sequential trivial Python steps: total, per step, split into dispatch / execution /
//      transition (engine timings) — peer: 40 × `python3 -c pass` run back to back here.
//   2. In-process no-op (Utility merge) steps per second — peer: control-socket round trips/s.
//   3. step stdout line → subscriber latency p50/p99 — peer: the same lines over a plain pipe.
// Usage: bench-engine --mcpk PATH   (bench/run-all.sh passes the release build)
import Foundation
import Glibc
import KernelClient
import KernelCore

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_REALTIME, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
func pct(_ xs: [Double], _ p: Double) -> Double { let s = xs.sorted(); return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))] }
func fmt(_ d: Double) -> String { String(format: "%.2f", d) }

var mcpk = ".build/release/mcpk"
var args = CommandLine.arguments.dropFirst()
while let a = args.first { args = args.dropFirst(); if a == "--mcpk", let v = args.first { mcpk = v; args = args.dropFirst() } }

var template = Array("/tmp/mcpk-bench-engine-XXXXXX".utf8CString)
let home = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
let kernel = Process()
kernel.executableURL = URL(fileURLWithPath: mcpk)
kernel.arguments = ["serve"]
var env = ProcessInfo.processInfo.environment
env["MCPK_HOME"] = home; env["MCPK_HTTP"] = "off"; env["MCPK_LOG_LEVEL"] = "warning"
kernel.environment = env
kernel.standardOutput = FileHandle.nullDevice
kernel.standardError = FileHandle.nullDevice
try kernel.run()
defer { kill(kernel.processIdentifier, SIGTERM); kernel.waitUntilExit(); try? FileManager.default.removeItem(atPath: home) }
var client: ControlClient?
for _ in 0..<500 { if let c = try? ControlClient(path: home + "/mcpk.sock"), (try? c.call("kernel.status")) != nil { client = c; break }; usleep(20_000) }
guard let c = client else { print("kernel did not start"); exit(1) }

func wait(_ id: String) throws -> JSON {
    while true {
        let r = try c.call("run.get", ["id": .string(id)])
        if let s = r["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { return r }
        usleep(2_000)
    }
}

// 1. 40 sequential trivial Python steps.
_ = try c.call("component.create", ["name": "noop-py", "config": ["type": "Python Script", "codeContent": "def main(**kw):\n    return 1\n"]])
let chain: [JSON] = (1...40).map { i in
    var o = JSONObject([("id", .string("s\(i)")), ("component", "noop-py")])
    if i > 1 { o["needs"] = [.string("s\(i - 1)")] }
    return .object(o)
}
_ = try c.call("workflow.create", ["name": "py40", "definition": ["steps": .array(chain)]])
let t0status = try c.call("kernel.status")["engine"]?["timings_ms"] ?? .null
let t0 = now()
let run1 = try wait(try c.call("workflow.run", ["id": "py40"])["run_id"]?.stringValue ?? "")
let total = now() - t0
let t1status = try c.call("kernel.status")["engine"]?["timings_ms"] ?? .null
func delta(_ k: String) -> Double { (t1status[k]?.doubleValue ?? 0) - (t0status[k]?.doubleValue ?? 0) }
let p0 = now()
for _ in 0..<40 {
    let p = Process(); p.executableURL = URL(fileURLWithPath: "/usr/bin/python3"); p.arguments = ["-c", "pass"]
    try p.run(); p.waitUntilExit()
}
let peer = now() - p0
print("40 sequential Python steps (\(run1["status"]?.stringValue ?? "?")): total \(fmt(total * 1000)) ms, \(fmt(total * 1000 / 40)) ms/step")
print("  split per step: dispatch \(fmt(delta("dispatch") / 40)) ms, execution \(fmt(delta("execution") / 40)) ms, transition \(fmt(delta("transition") / 40)) ms (rest: polling/run bookkeeping)")
print("  peer: 40 × python3 -c pass = \(fmt(peer * 1000)) ms (\(fmt(peer * 1000 / 40)) ms each) → ratio \(fmt(total / peer))×")

// 2. In-process no-op steps per second (500 independent Utility merges in one run).
_ = try c.call("component.create", ["name": "noop-util", "config": ["type": "Utility", "operation": "merge"]])
let n = 500
_ = try c.call("workflow.create", ["name": "util500", "definition": ["steps": .array((1...n).map { .object(JSONObject([("id", .string("u\($0)")), ("component", "noop-util")])) })]])
let u0 = now()
let run2 = try wait(try c.call("workflow.run", ["id": "util500"])["run_id"]?.stringValue ?? "")
let udt = now() - u0
let r0 = now()
for _ in 0..<1000 { _ = try c.call("kernel.ping") }
let rpcRate = 1000 / (now() - r0)
print("in-process no-op steps (\(run2["status"]?.stringValue ?? "?")): \(fmt(Double(n) / udt)) steps/s")
print("  peer: control-socket kernel.ping round trips \(fmt(rpcRate))/s → ratio \(fmt((Double(n) / udt) / rpcRate))")

// 3. stdout line → subscriber latency.
let lines = 2000
_ = try c.call("component.create", ["name": "stamps", "config": ["type": "Python Script", "codeContent":
    "import time\ndef main(n):\n    for i in range(n):\n        print('%.6f' % time.time(), flush=True)\n        time.sleep(0.0005)\n    return n\n"]])
_ = try c.call("workflow.create", ["name": "stamps", "definition": ["steps": [["id": "p", "component": "stamps", "inputs": ["n": .int(Int64(lines))]]]]])
let sub = try ControlClient(path: home + "/mcpk.sock")
let rid = try c.call("workflow.run", ["id": "stamps"])["run_id"]?.stringValue ?? ""
var latencies: [Double] = []
let reply = try sub.call("run.subscribe", ["id": .string(rid)])
var pending = (reply["events"]?.arrayValue ?? []) + sub.takeNotifications().compactMap { $0["params"]?["event"] }
var ended = false
func take(_ e: JSON, at t: Double) {
    if e["type"] == "log", e["payload"]?["stream"] == "stdout", let s = e["payload"]?["line"]?.stringValue, let stamp = Double(s) { latencies.append((t - stamp) * 1000) }
    if e["type"] == "end" { ended = true }
}
for e in pending { take(e, at: now()) }
pending = []
while !ended, let m = try sub.readMessage() {
    if m["method"] == "run.event", let e = m["params"]?["event"] { take(e, at: now()) }
}
var pipeLat: [Double] = []
let py = Process(); py.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
py.arguments = ["-c", "import time\nfor i in range(\(lines)):\n    print('%.6f' % time.time(), flush=True)\n    time.sleep(0.0005)\n"]
let out = Pipe(); py.standardOutput = out
try py.run()
var buf = Data()
while true {
    let d = out.fileHandleForReading.availableData
    if d.isEmpty { break }
    let t = now()
    buf += d
    while let nl = buf.firstIndex(of: 10) {
        if let stamp = Double(String(decoding: buf[buf.startIndex..<nl], as: UTF8.self)) { pipeLat.append((t - stamp) * 1000) }
        buf = Data(buf[(nl + 1)...])
    }
}
py.waitUntilExit()
print("stdout line → subscriber latency over \(latencies.count) lines: p50 \(fmt(pct(latencies, 0.5))) ms, p99 \(fmt(pct(latencies, 0.99))) ms")
print("  peer: same lines over a plain pipe: p50 \(fmt(pct(pipeLat, 0.5))) ms, p99 \(fmt(pct(pipeLat, 0.99))) ms → p50 ratio \(fmt(pct(latencies, 0.5) / max(0.001, pct(pipeLat, 0.5))))×")
