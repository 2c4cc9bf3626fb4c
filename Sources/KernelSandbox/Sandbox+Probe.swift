import Glibc
import KernelCore
import KernelLoop

extension Sandbox {
    /// Probes every layer by running a real step through the full wrapper
    /// chain and reading, from inside, what it got: namespace ids (compared
    /// with the kernel's), `Seccomp:`/`NoNewPrivs:` of /proc/self/status, and
    /// the rlimits. Sets `report`; steps are refused until it says ready.
    @discardableResult
    public func probe() async -> SandboxReport {
        var problems: [String] = []
        let mode = configuration.requestedMode
        cgroups = CgroupLimiter.probe(v2Root: configuration.cgroupRoot)
        cgroups?.sweepStale()
        if cgroups == nil { problems.append("no writable cgroup hierarchy with memory+pids: rlimits carry the limits") }
        for tool in [configuration.shellPath, configuration.prlimitPath, configuration.setprivPath] where !FileManagerLite.isExecutable(tool) {
            problems.append("\(tool) missing (util-linux)")
        }
        var version: String?
        if mode == .bubblewrap {
            if FileManagerLite.isExecutable(configuration.bwrapPath) {
                version = await Sandbox.capture(configuration.bwrapPath, ["--version"])?.trimmingWhitespace
            } else {
                problems.append("bubblewrap not installed (\(configuration.bwrapPath))")
            }
            if !FileManagerLite.exists(configuration.runtimeDirectory + "/python/mcpk/__init__.py") {
                problems.append("runtime helpers not found at \(configuration.runtimeDirectory) (set MCPK_RUNTIME_DIR)")
            }
        } else {
            problems.append("MCPK_SANDBOX=none: steps run WITHOUT namespaces or seccomp")
        }
        // Provisional report so the probe step itself may launch.
        report = SandboxReport(mode: mode, ready: true, namespaces: false, seccomp: false, cgroups: nil, rlimits: false,
                               noNewPrivs: false, networkIsolation: false, bwrapVersion: version, problems: problems)
        let script = """
        for n in user pid mnt ipc uts net; do echo "ns_$n=$(readlink /proc/self/ns/$n)"; done
        grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d ' \\t' | tr ':' '='
        echo "cpu=$(ulimit -t)"
        echo "nproc=$(sed -n 's/^Max processes *\\([0-9]*\\).*/\\1/p' /proc/self/limits)"
        echo "nofile=$(ulimit -n)"
        echo "uid=$(id -u)"
        """
        var spec = StepSpec(runId: "_probe", stepId: "sandbox", attempt: 1, executable: "/bin/sh", arguments: ["-c", script],
                            timeoutMs: 20_000, cpuSeconds: 17, memoryMb: 256, maxProcesses: 64, openFiles: 99)
        spec.network = false
        var out: [String: String] = [:]
        var launchError: String?
        var exitStatus: StepOutcome.Termination?
        if problems.allSatisfy({ !$0.contains("not installed") && !$0.contains("missing") }) {
            do {
                let step = try launch(spec, onEvent: { e in
                    if case .log("stdout", let line) = e, let eq = line.firstIndex(of: "=") {
                        out[String(line[..<eq])] = String(line[line.index(after: eq)...])
                    }
                }, onQuery: nil)
                let o = await step.outcome()
                exitStatus = o.termination
                if !o.succeeded { launchError = o.failureSummary }
                removeTree(o.workDirectory)
                removeTree(o.workDirectory + ".etc")
            } catch {
                launchError = "\(error)"
            }
        }
        var host: [String: String] = [:]
        for n in ["user", "pid", "mnt", "ipc", "uts", "net"] {
            var buf = [CChar](repeating: 0, count: 128)
            let k = readlink("/proc/self/ns/\(n)", &buf, buf.count - 1)
            if k > 0 { host[n] = String(decoding: buf[0..<k].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        func isolated(_ n: String) -> Bool {
            guard let inside = out["ns_\(n)"], !inside.isEmpty, let h = host[n] else { return false }
            return inside != h
        }
        let namespaces = ["user", "pid", "mnt", "ipc", "uts"].allSatisfy(isolated)
        let seccomp = out["Seccomp"] == "2"
        let nnp = out["NoNewPrivs"] == "1"
        let rlimits = out["cpu"] == "17" && out["nofile"] == "99" && out["nproc"] == "64"
        if let launchError { problems.append("probe step failed: \(launchError)") }
        if exitStatus == nil && launchError == nil { problems.append("probe step did not run") }
        var ready: Bool
        if mode == .bubblewrap {
            ready = namespaces && seccomp && nnp && rlimits
            if !namespaces { problems.append("user/pid/mount/ipc/uts namespaces not effective (bubblewrap or user namespaces unavailable)") }
            if !seccomp { problems.append("seccomp filter not effective") }
        } else {
            ready = true
        }
        if !rlimits { problems.append("rlimits not effective (cpu=\(out["cpu"] ?? "?") nofile=\(out["nofile"] ?? "?") nproc=\(out["nproc"] ?? "?"))") }
        report = SandboxReport(mode: mode, ready: ready, namespaces: namespaces, seccomp: seccomp,
                               cgroups: cgroups?.version.rawValue, rlimits: rlimits, noNewPrivs: nnp,
                               networkIsolation: isolated("net"), bwrapVersion: version, problems: problems)
        return report
    }

    /// Runs a helper outside the sandbox and returns its stdout (nil on failure).
    static func capture(_ exe: String, _ args: [String], env: [String] = ["PATH=/usr/bin:/bin"]) async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            do {
                let p = try Process(loop: KernelRuntime.loop, options: Process.Options(
                    executable: exe, arguments: args, environment: env, stdio: [.ignore, .output, .ignore]))
                var bytes: [UInt8] = []
                p.onOutput = { _, b in bytes.append(contentsOf: b) }
                p.onFinish = { e in c.resume(returning: e.succeeded ? String(decoding: bytes, as: UTF8.self) : nil) }
                p.start()
            } catch {
                c.resume(returning: nil)
            }
        }
    }
}
