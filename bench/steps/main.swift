// bench-steps: the cost of one trivial sandboxed Python step as the kernel runs
// it (planned by the python executor plugin, leased from a PluginHost, then the
// full chain: sh cgroup join → prlimit → setpriv → bwrap + seccomp → runner →
// main()) next to `python3 -c pass` and `bwrap … python3 -c pass`, measured in
// the same run. Prints medians and ratios; no thresholds.
import Glibc
import KernelCore
import KernelLoop
import KernelEngine
import KernelPlugins
import KernelSandbox
import Logging

let iterations = Int(CommandLine.arguments.drop(while: { $0 != "--iterations" }).dropFirst().first ?? "") ?? 20

@KernelActor
func spawn(_ exe: String, _ args: [String]) async -> Bool {
    await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
        do {
            let p = try Process(loop: KernelRuntime.loop, options: .init(executable: exe, arguments: args,
                                                                         environment: ["PATH=/usr/bin:/bin"],
                                                                         stdio: [.ignore, .output, .output]))
            p.onOutput = { _, _ in }
            p.onFinish = { e in c.resume(returning: e.succeeded) }
            p.start()
        } catch {
            c.resume(returning: false)
        }
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
}

@KernelActor
func bench() async -> Int32 {
    var root = #filePath
    for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.endIndex)]) }
    var template = Array("/tmp/mcpk-bench-XXXXXX".utf8CString)
    let home = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    let sandbox = Sandbox(configuration: SandboxConfiguration(home: home, settings: ["MCPK_PYTHON_RUNTIME", "MCPK_SANDBOX", "MCPK_CGROUP_ROOT", "MCPK_RUNTIME_DIR", "MCPK_PIP_CACHE_DIR"].reduce(into: [String: String]()) { $0[$1] = getenv($1).map { String(cString: $0) } }, runtimeDirectory: root + "/runtime",
                                                              pythonRuntime: "/nonexistent"))
    let report = await sandbox.probe()
    guard report.ready else {
        print("sandbox not ready: \(report.problems)")
        return 1
    }
    let bwrapArgs = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--die-with-parent",
                     "--new-session", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                     "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                     "/usr/bin/python3", "-c", "pass"]
    // The python plugin from this bench's build dir (bench/run-all.sh builds it in release).
    var exe = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &exe, Int(PATH_MAX))
    let selfPath = n > 0 ? String(decoding: exe[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    let buildDir = String(selfPath[..<(selfPath.lastIndex(of: "/") ?? selfPath.endIndex)])
    var quiet = Logger(label: "bench-steps")
    quiet.logLevel = .warning
    let plugins = PluginHost(configuration: PluginHostConfiguration(directories: []), logger: quiet)
    do { _ = try await plugins.load(path: buildDir + "/libmcpk-python.so") } catch {
        print("cannot load the python plugin: \(error)")
        return 1
    }
    let runtime = ProcessStepRuntime(sandbox: sandbox)
    var plain: [Double] = [], bwrap: [Double] = [], step: [Double] = []
    for i in 0..<(iterations + 2) {   // the first two rounds warm caches and are dropped
        var t = MonotonicClock.milliseconds()
        guard await spawn("/usr/bin/python3", ["-c", "pass"]) else { print("python3 failed"); return 1 }
        let a = MonotonicClock.milliseconds() - t
        t = MonotonicClock.milliseconds()
        guard await spawn("/usr/bin/bwrap", bwrapArgs) else { print("bwrap failed"); return 1 }
        let b = MonotonicClock.milliseconds() - t
        t = MonotonicClock.milliseconds()
        guard let lease = plugins.executor(forType: "Python Script") else { print("no python executor"); return 1 }
        let s = runtime.start(executor: ExecutorPlanner(lease: lease), componentType: "Python Script",
                              config: ["codeContent": "def main():\n    return 1\n"], inputs: [:],
                              runId: "bench", stepId: "s\(i)", attempt: 1, onEvent: { _ in })
        let o = await s.completed()
        lease.release()
        guard case .success = o.result else { print("sandboxed step failed: \(o.result)"); return 1 }
        let c = MonotonicClock.milliseconds() - t
        if i >= 2 { plain.append(a); bwrap.append(b); step.append(c) }
    }
    let (p, b, s) = (median(plain), median(bwrap), median(step))
    func f(_ x: Double) -> String { String(Double(Int(x * 100)) / 100) }
    print("steps: \(iterations) iterations, median wall-clock per process (ms)")
    print("  python3 -c pass                         \(f(p))")
    print("  bwrap … python3 -c pass                 \(f(b))   ratio vs python3: \(f(b / p))x")
    print("  sandboxed Python step (plugin + chain)  \(f(s))   ratio vs python3: \(f(s / p))x, vs bwrap: \(f(s / b))x")
    print("  layers: namespaces=\(report.namespaces) seccomp=\(report.seccomp) cgroups=\(report.cgroups ?? "none") rlimits=\(report.rlimits)")
    await plugins.shutdown()
    removeTreeForBench(home)
    return 0
}

/// The bench's temporary home (its own mkdtemp path, no user input).
func removeTreeForBench(_ path: String) {
    guard path.hasPrefix("/tmp/mcpk-bench-") else { return }
    _ = system("rm -rf '\(path)'")
}

let code = await bench()
exit(code)
