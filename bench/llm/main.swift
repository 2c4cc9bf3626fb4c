// bench/llm: one LLM Prompt Agent step (Plugins/llm, libcurl, in-process `invoke`) streaming
// TOKENS tokens from the local SSE server of the live tests (model "burst": no delay between
// chunks), through a real `mcpk serve`: workflow.run → run terminal, every token a `log` event
// in the store. Peer, measured in the same run against the same server: `curl -sN` of the same
// request body. Prints per-request times (median of RUNS) and the ratio.
// Usage: bench-llm --mcpk PATH [--tokens N] [--runs N]   (plugins are loaded from PATH's dir)
import Foundation
import Glibc
import KernelClient
import KernelCore

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
func fmt(_ d: Double) -> String { String(format: "%.1f", d) }

var mcpk = ".build/release/mcpk"
var tokens = 2000
var runs = 7
var args = CommandLine.arguments.dropFirst()
while let a = args.first {
    args = args.dropFirst()
    guard let v = args.first else { break }
    switch a {
    case "--mcpk": mcpk = v; args = args.dropFirst()
    case "--tokens": tokens = Int(v) ?? tokens; args = args.dropFirst()
    case "--runs": runs = Int(v) ?? runs; args = args.dropFirst()
    default: break
    }
}
mcpk = URL(fileURLWithPath: mcpk).standardizedFileURL.path

var template = Array("/tmp/mcpk-bench-llm-XXXXXX".utf8CString)
let home = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }

// The SSE server.
let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Tests/IntegrationTests/Fixtures/llm_stream_server.py").standardizedFileURL.path
let server = Process()
server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
server.arguments = [script, home + "/requests.jsonl"]
let serverOut = Pipe()
server.standardOutput = serverOut
try server.run()
var portLine = Data()
while !portLine.contains(10) { let d = serverOut.fileHandleForReading.availableData; if d.isEmpty { break }; portLine += d }
let port = String(decoding: portLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
let endpoint = "http://127.0.0.1:\(port)/v1"

// The kernel.
let kernel = Process()
kernel.executableURL = URL(fileURLWithPath: mcpk)
kernel.arguments = ["serve"]
var env = ProcessInfo.processInfo.environment
env["MCPK_HOME"] = home; env["MCPK_HTTP"] = "off"; env["MCPK_LOG_LEVEL"] = "warning"
env["MCPK_PLUGIN_PATH"] = env["MCPK_PLUGIN_PATH"] ?? URL(fileURLWithPath: mcpk).deletingLastPathComponent().path
kernel.environment = env
kernel.standardOutput = FileHandle.nullDevice
kernel.standardError = FileHandle.nullDevice
try kernel.run()
defer {
    kill(kernel.processIdentifier, SIGTERM); kernel.waitUntilExit()
    kill(server.processIdentifier, SIGKILL); server.waitUntilExit()
    try? FileManager.default.removeItem(atPath: home)
}
var client: ControlClient?
for _ in 0..<500 { if let c = try? ControlClient(path: home + "/mcpk.sock"), (try? c.call("kernel.status")) != nil { client = c; break }; usleep(20_000) }
guard let c = client else { print("kernel did not start"); exit(1) }

_ = try c.call("component.create", ["name": "bench-llm", "config": ["type": "LLM Prompt Agent", "model": "burst", "maxTokens": .int(Int64(tokens)),
                                                                   "userPromptTemplate": "go", "endpoint": .string(endpoint)]])
_ = try c.call("workflow.create", ["name": "bench-llm", "definition": ["steps": [["id": "g", "component": "bench-llm"]]]])

var kernelTimes: [Double] = []
for _ in 0..<runs {
    let t0 = MonotonicClock.seconds()
    let id = try c.call("workflow.run", ["id": "bench-llm", "inputs": [:]])["run_id"]?.stringValue ?? ""
    var r: JSON = .null
    while true {
        r = try c.call("run.get", ["id": .string(id)])
        if let s = r["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { break }
        usleep(1_000)
    }
    kernelTimes.append(MonotonicClock.seconds() - t0)
    guard r["status"] == "succeeded" else { print("run failed: \(r)"); exit(1) }
}

// Peer: curl of the same request (the body the plugin sends).
let body = #"{"model":"burst","messages":[{"role":"user","content":"go"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":\#(tokens)}"#
var curlTimes: [Double] = []
var curlBytes = 0
for _ in 0..<runs {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    p.arguments = ["-sN", "-X", "POST", "-H", "Content-Type: application/json", "-H", "Accept: text/event-stream", "--data", body, endpoint + "/chat/completions"]
    let out = Pipe()
    p.standardOutput = out
    let t0 = MonotonicClock.seconds()
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    curlTimes.append(MonotonicClock.seconds() - t0)
    curlBytes = data.count
}

let k = median(kernelTimes) * 1000, p = median(curlTimes) * 1000
print("LLM step, \(tokens) streamed tokens, through mcpk (run start → terminal, every token a stored log event): median \(fmt(k)) ms over \(runs) runs")
print("peer curl -sN of the same request (\(curlBytes) bytes of SSE): median \(fmt(p)) ms")
print("ratio mcpk/curl: \(String(format: "%.2f", k / max(p, 1e-9)))x")
