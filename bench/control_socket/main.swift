// bench/control_socket — round trips per second and p50/p99 latency of
// `kernel.status` over the control socket with 1 and 32 clients, next to a
// raw Unix-socket echo server (libuv, same machine, same run), plus idle RSS
// and start-to-ready time of `mcpk serve`.
//
// Usage: bench-control-socket [--mcpk PATH] [--seconds N]
import Foundation
import Glibc
import KernelClient
import KernelCore
import KernelLoop

let args = CommandLine.arguments
func arg(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
let seconds = Double(arg("--seconds") ?? "3") ?? 3
let mcpk = arg("--mcpk") ?? FileManager.default.currentDirectoryPath + "/.build/release/mcpk"

// MARK: the peer: a raw libuv Unix-socket echo server on its own thread.

final class EchoServer: @unchecked Sendable {
    let path: String
    init(path: String) {
        self.path = path
        unlink(path)
        let ready = ConditionLock()
        let flag = LockedBox(false)
        Thread.detachNewThread {
            guard let loop = try? Loop(), let server = try? Pipe(loop: loop) else { return }
            try? server.bind(path: path)
            try? server.listen { status in
                guard status == 0, let c = try? server.accept() else { return }
                c.onRead = { buf in c.write(buf) }
                c.onEnd = { _ in c.close() }
                try? c.startReading()
            }
            ready.withLock { flag.value = true; ready.signal() }
            loop.run()
        }
        ready.lock()
        while !flag.value { ready.wait() }
        ready.unlock()
    }
}

// MARK: a load run: N client threads doing request → full line reply.

struct Result { var requests: Int; var seconds: Double; var p50: Double; var p99: Double }

func load(path: String, clients: Int, request: [UInt8], seconds: Double) -> Result {
    let lock = ConditionLock()
    let tally = LockedBox((latencies: [Double](), total: 0, finished: 0))
    let start = MonotonicClock.seconds()
    for _ in 0..<clients {
        Thread.detachNewThread {
            var mine: [Double] = []
            mine.reserveCapacity(200_000)
            guard let c = try? ControlClient(path: path) else { return }
            var buf = [UInt8](repeating: 0, count: 65536)
            let deadline = start + seconds
            while true {
                let t0 = MonotonicClock.seconds()
                if t0 > deadline { break }
                try? c.sendRaw(request)
                // Read until a newline arrives.
                var done = false
                while !done {
                    let n = recv(c.fd, &buf, buf.count, 0)
                    if n <= 0 { done = true; break }
                    if buf[0..<n].contains(0x0A) { done = true }
                }
                mine.append(MonotonicClock.seconds() - t0)
            }
            lock.withLock {
                tally.value.latencies.append(contentsOf: mine)
                tally.value.total += mine.count
                tally.value.finished += 1
                lock.signal()
            }
        }
    }
    lock.lock()
    while tally.value.finished < clients { lock.wait() }
    lock.unlock()
    let elapsed = MonotonicClock.seconds() - start
    let latencies = tally.value.latencies.sorted()
    let total = tally.value.total
    func pct(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    return Result(requests: total, seconds: elapsed, p50: pct(0.5) * 1e6, p99: pct(0.99) * 1e6)
}

// MARK: the kernel

let home = "/tmp/mcpk-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
func startKernel() -> (Foundation.Process, Double) {
    let p = Foundation.Process()
    p.executableURL = URL(fileURLWithPath: mcpk)
    p.arguments = ["serve", "--http", "off", "--home", home]
    p.standardError = FileHandle.nullDevice
    p.standardOutput = FileHandle.nullDevice
    let t0 = MonotonicClock.seconds()
    do { try p.run() } catch { print("cannot start \(mcpk): \(error)"); exit(1) }
    while true {
        if let c = try? ControlClient(path: home + "/mcpk.sock"), (try? c.call("kernel.status")) != nil { break }
        if !p.isRunning { print("kernel exited"); exit(1) }
        usleep(500)
    }
    return (p, (MonotonicClock.seconds() - t0) * 1000)
}

var startups: [Double] = []
for _ in 0..<5 {
    let (p, ms) = startKernel()
    startups.append(ms)
    p.terminate(); p.waitUntilExit()
}
startups.sort()
let (kernel, _) = startKernel()
usleep(500_000)
let status = (try? ControlClient(path: home + "/mcpk.sock").call("kernel.status")) ?? .null
let idleRSS = Double(status["rss_bytes"]?.intValue ?? 0) / 1024 / 1024
/// RssAnon (private) and RssFile (shared library pages) of the idle kernel.
func rssSplit(_ pid: Int32) -> (Double, Double) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kb(_ key: String) -> Double {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }
    return (kb("RssAnon:"), kb("RssFile:"))
}
let (anonRSS, fileRSS) = rssSplit(kernel.processIdentifier)

let echo = EchoServer(path: home + "/echo.sock")
let statusRequest = Array(#"{"jsonrpc":"2.0","id":1,"method":"kernel.status"}"#.utf8) + [0x0A]
// The echo peer gets a request of the same size as the kernel's reply, so
// both move comparable bytes per round trip.
let replySize = (status.serializedBytes().count + 40)
let echoRequest = [UInt8](repeating: UInt8(ascii: "x"), count: replySize) + [0x0A]

print("bench/control_socket — \(Int(seconds)) s per run, kernel \(mcpk)")
print("")
print(String(format: "%-28@ %10@ %10@ %10@", "run" as NSString, "req/s" as NSString, "p50 µs" as NSString, "p99 µs" as NSString))
var ratios: [String] = []
for clients in [1, 32] {
    let e = load(path: echo.path, clients: clients, request: echoRequest, seconds: seconds)
    let k = load(path: home + "/mcpk.sock", clients: clients, request: statusRequest, seconds: seconds)
    let er = Double(e.requests) / e.seconds, kr = Double(k.requests) / k.seconds
    print(String(format: "%-28@ %10.0f %10.1f %10.1f", "echo peer, \(clients) client(s)" as NSString, er, e.p50, e.p99))
    print(String(format: "%-28@ %10.0f %10.1f %10.1f", "kernel.status, \(clients) client(s)" as NSString, kr, k.p50, k.p99))
    ratios.append(String(format: "%d client(s): kernel/echo throughput ratio %.2f (target >= 0.50), kernel p99 %.0f µs (target < 1000)", clients, kr / er, k.p99))
}
print("")
for r in ratios { print(r) }
print(String(format: "idle RSS: %.1f MiB (target < 20): %.1f MiB private (RssAnon), %.1f MiB shared library pages (RssFile)", idleRSS, anonRSS, fileRSS))
print(String(format: "start-to-ready: median %.1f ms, min %.1f ms over 5 starts (target < 100)", startups[2], startups[0]))
kernel.terminate()
kernel.waitUntilExit()
try? FileManager.default.removeItem(atPath: home)

/// State shared by the bench's threads; every access holds the bench's own lock.
final class LockedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
