import Glibc
import KernelCore
import KernelLoop

/// The kernel's step launcher: probes isolation once, then starts every
/// process-based step through `uv_spawn` behind the same wrapper chain:
///
///     /bin/sh -c JOIN_CGROUPS  →  prlimit (CPU, AS, FSIZE, NOFILE, NPROC)
///       →  setpriv --no-new-privs  →  bwrap (namespaces, binds, seccomp fd 5)  →  step
///
/// uv_spawn cannot run code between fork and exec, so the limits are applied
/// by these small exec wrappers (util-linux `prlimit`/`setpriv`, POSIX sh for
/// the cgroup join); every one of them execs the next, so the spawned pid ends
/// as bwrap, the leader of its own process group.
@KernelActor
public final class Sandbox {
    public let configuration: SandboxConfiguration
    public internal(set) var report: SandboxReport {
        didSet { reportJSON = report.json }
    }
    /// `report.json`, rebuilt whenever `report` is set (only by the start-up
    /// probe), so `kernel.status` does not rebuild it per request.
    public private(set) var reportJSON: JSON
    public internal(set) var cgroups: CgroupLimiter?
    /// Warm runners of this sandbox (`RunnerPool`); steps whose plan says `warm` use them.
    public private(set) lazy var runners = RunnerPool(sandbox: self, settings: configuration.runners)
    /// Leaf names must be unique across every Sandbox of the process.
    private static var sequence = 0

    /// The next cgroup leaf name of this process (`step-<pid>-<n>`: `sweepStale` reads the pid back).
    static func nextLeafName() -> String {
        sequence += 1
        return "step-\(getpid())-\(sequence)"
    }

    /// File system work of warm runner slots (refill before, move to the work dir after an
    /// attempt), kept off the loop thread: one thread, so a slot's operations stay in order.
    nonisolated let slotFiles = WorkerThread(name: "mcpk-slot-files")

    deinit { slotFiles.stop() }

    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        let initial = SandboxReport(mode: configuration.requestedMode, ready: false, namespaces: false, seccomp: false,
                                    cgroups: nil, rlimits: false, noNewPrivs: false, networkIsolation: false,
                                    bwrapVersion: nil, problems: ["not probed yet"])
        report = initial
        reportJSON = initial.json
    }

    /// Paths the step sees.
    public var paths: SandboxPaths {
        SandboxPaths(work: SandboxLimits.workMount, runtime: SandboxLimits.runtimeMount)
    }

    /// Paths for a given host work dir (differ only in `none` mode).
    public func paths(forWorkDirectory dir: String) -> SandboxPaths {
        report.mode == .none ? SandboxPaths(work: dir, runtime: configuration.runtimeDirectory) : paths
    }

    /// Where the step sees `mount` (its destination; the host path itself without bubblewrap).
    public func seenPath(of mount: SandboxMount) -> String {
        report.mode == .none ? mount.source : mount.destination
    }

    /// Host work dir of an attempt: `$MCPK_HOME/work/<run>/<step>/<attempt>`.
    public func workDirectory(runId: String, stepId: String, attempt: Int) -> String {
        WorkDirectory.attempt(home: configuration.home, runID: runId, stepID: stepId, attempt: attempt)
    }

    /// Starts a step. Throws `unavailable` when the sandbox is not ready.
    public func start(_ spec: StepSpec, onEvent: @escaping @KernelActor (StepEvent) -> Void,
                      onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) throws -> StepProcess {
        // `mcpk_sandbox_spawns_total{outcome}`: every attempt counts, a refused
        // (sandbox not ready) or failed launch as `failed`.
        do {
            guard report.ready else {
                throw KernelError.unavailable("sandbox unavailable: " + report.problems.joined(separator: "; ")
                                              + " (set MCPK_SANDBOX=none to run steps without isolation)")
            }
            let process = try launch(spec, onEvent: onEvent, onQuery: onQuery)
            Metrics.sandboxSpawns.increment(Sandbox.spawnOK)
            return process
        } catch {
            Metrics.sandboxSpawns.increment(Sandbox.spawnFailed)
            throw error
        }
    }

    static let spawnOK = ["outcome": "ok"]
    static let spawnFailed = ["outcome": "failed"]

    func launch(_ spec: StepSpec, onEvent: @escaping @KernelActor (StepEvent) -> Void,
                onQuery: (@KernelActor (StepQuery) async throws -> JSON)?) throws -> StepProcess {
        let work = workDirectory(runId: spec.runId, stepId: spec.stepId, attempt: spec.attempt)
        try prepareWorkDirectory(work, spec: spec)
        var leaf: CgroupLeaf?
        if let cg = cgroups {
            leaf = try? cg.createLeaf(name: Sandbox.nextLeafName(), memoryBytes: spec.memoryMb * 1024 * 1024,
                                      maxProcesses: spec.maxProcesses)
        }
        var seccompFd: Int32 = -1
        if report.mode == .bubblewrap {
            do { seccompFd = try SeccompFilter.exportToPipe() } catch { leaf?.remove(); throw error }
        }
        defer { if seccompFd >= 0 { close(seccompFd) } }
        let options = processOptions(spec, work: work, leaf: leaf, seccompFd: seccompFd)
        return try StepProcess(spec: spec, options: options, workDirectory: work, workMount: paths(forWorkDirectory: work).work,
                               leaf: leaf, onEvent: onEvent, onQuery: onQuery)
    }

    /// Creates a fresh work dir with inputs.json, the spec's files and the
    /// sandbox's private /etc entries.
    func prepareWorkDirectory(_ work: String, spec: StepSpec) throws {
        removeTree(work)
        removeTree(work + ".etc")
        guard ensureDirectory(work, mode: 0o700), ensureDirectory(work + ".etc", mode: 0o755) else {
            throw KernelError.internal("cannot create work dir \(work): \(String(cString: strerror(errno)))")
        }
        try Sandbox.writeStepFiles(work, spec: spec)
        let uid = SandboxLimits.sandboxUid, gid = SandboxLimits.sandboxGid
        _ = writeFile(work + ".etc/passwd", "root:x:0:0:root:/root:/bin/false\nstep:x:\(uid):\(gid):step:\(SandboxLimits.workMount):/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        _ = writeFile(work + ".etc/group", "root:x:0:\nstep:x:\(gid):\nnogroup:x:65534:\n")
        _ = writeFile(work + ".etc/hosts", "127.0.0.1 localhost\n::1 localhost\n")
        // The step runs as an unprivileged uid mapped to the kernel's uid: the work dir is its own.
    }

    /// `inputs.json` and the spec's files, into an existing work dir.
    nonisolated static func writeStepFiles(_ work: String, spec: StepSpec) throws {
        if let prepared = spec.inputsFile {
            // A hard link (same file system, no copy): the engine removes the prepared file after
            // the attempt, and a warm runner's slot may be filled after a cold preparation.
            unlink(work + "/inputs.json")
            guard link(prepared, work + "/inputs.json") == 0 else {
                throw KernelError.internal("cannot link \(prepared) to \(work)/inputs.json: \(String(cString: strerror(errno)))")
            }
        } else if !writeFile(work + "/inputs.json", spec.inputs.serialized()) {
            throw KernelError.internal("cannot write inputs.json in \(work)")
        }
        if let problem = FileCopy.stage(spec.stagedFiles, into: work, limit: SandboxLimits.maxStagedFileBytes) {
            throw KernelError.invalidParams("cannot stage a referenced artifact: \(problem)")
        }
        for (rel, bytes) in spec.files {
            guard !rel.hasPrefix("/"), !rel.split(separator: "/").contains("..") else {
                throw KernelError.invalidParams("file path \(rel) escapes the work dir")
            }
            let path = work + "/" + rel
            _ = ensureDirectory(path.parent)
            guard writeBytes(path, bytes) else { throw KernelError.internal("cannot write \(path)") }
        }
    }

    /// The clean environment: PATH, HOME (the work dir), LANG, the channel fds, the declared vars.
    func environment(_ spec: StepSpec, paths: SandboxPaths) -> [String] {
        let env = environmentMap(spec, paths: paths)
        return env.keys.sorted().map { "\($0)=\(env[$0] ?? "")" }
    }

    /// The clean environment as a map (a warm runner receives it per attempt).
    func environmentMap(_ spec: StepSpec, paths: SandboxPaths) -> [String: String] {
        var env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": paths.work,
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "PYTHONPATH": paths.runtime + "/python",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "NODE_PATH": paths.runtime + "/js",
            "MCPK_CHANNEL_FD": String(SandboxLimits.channelFd),
            "MCPK_ANSWER_FD": String(SandboxLimits.answerFd),
            "MCPK_WORK_DIR": paths.work,
            "MCPK_RUN_ID": spec.runId,
            "MCPK_STEP_ID": spec.stepId,
            "MCPK_ATTEMPT": String(spec.attempt),
        ]
        if report.mode == .none { env["TMPDIR"] = paths.work + "/.tmp" }
        for (k, v) in spec.environment where !k.isEmpty && !k.contains("=") { env[k] = v }
        return env
    }

    /// Read-only system view: /usr (+ merged-usr symlinks), the few /etc entries a runtime needs.
    static let systemEtc = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
                            "/etc/localtime", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates",
                            "/etc/mime.types", "/etc/fonts", "/etc/matplotlibrc", "/etc/python3", "/etc/python3.11"]
    static let networkEtc = ["/etc/resolv.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/services", "/etc/protocols"]

    func bwrapArguments(_ spec: StepSpec, work: String, seccompFd: Int32, command: [String]? = nil) -> [String] {
        var a = ["--unshare-user", "--uid", String(SandboxLimits.sandboxUid), "--gid", String(SandboxLimits.sandboxGid),
                 "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                 "--hostname", "mcpk-step", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        if !spec.network { a.append("--unshare-net") }
        a += ["--ro-bind", "/usr", "/usr"]
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            var buf = [CChar](repeating: 0, count: 256)
            let n = readlink(top, &buf, buf.count - 1)
            if n > 0 {
                a += ["--symlink", String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self), top]
            } else if FileManagerLite.exists(top) {
                a += ["--ro-bind", top, top]
            }
        }
        for e in Sandbox.systemEtc where FileManagerLite.exists(e) { a += ["--ro-bind", e, e] }
        if spec.network {
            for e in Sandbox.networkEtc where FileManagerLite.exists(e) { a += ["--ro-bind", e, e] }
        }
        for f in ["passwd", "group", "hosts"] { a += ["--ro-bind", work + ".etc/" + f, "/etc/" + f] }
        a += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        a += ["--ro-bind", configuration.runtimeDirectory, SandboxLimits.runtimeMount]
        for p in spec.readOnlyBinds where FileManagerLite.exists(p) { a += ["--ro-bind", p, p] }
        for p in spec.writableBinds { a += ["--bind", p, p] }
        for m in spec.readOnlyMounts { a += ["--ro-bind", m.source, m.destination] }
        a += ["--bind", work, SandboxLimits.workMount, "--chdir", spec.workingDirectory ?? SandboxLimits.workMount]
        a += ["--remount-ro", "/"]
        if seccompFd >= 0 { a += ["--seccomp", String(SandboxLimits.seccompFd)] }
        return a + ["--"] + (command ?? [spec.executable] + spec.arguments)
    }

    /// The full wrapper chain as `Process.Options`. `command` replaces the step's own
    /// command line and `channel` its fds 3 and 4 (a warm runner: its control socket).
    func processOptions(_ spec: StepSpec, work: String, leaf: CgroupLeaf?, seccompFd: Int32,
                        command: [String]? = nil, channel: [Process.Stdio]? = nil) -> Process.Options {
        let join = "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 125; shift; n=$((n-1)); done; exec \"$@\""
        let procs = leaf?.procsFiles ?? []
        var args = ["-c", join, "mcpk-sandbox", String(procs.count)] + procs
        var limits = ["--cpu=\(spec.cpuSeconds)", "--fsize=\(spec.fileSizeBytes)",
                      "--nofile=\(spec.openFiles)", "--nproc=\(spec.maxProcesses)", "--core=0"]
        if spec.limitAddressSpace { limits.append("--as=\(spec.memoryMb * 1024 * 1024)") }
        args += [configuration.prlimitPath] + limits + ["--", configuration.setprivPath, "--no-new-privs", "--"]
        var stdio: [Process.Stdio] = [.ignore, .output, .output] + (channel ?? [.output, .input])
        let p = paths(forWorkDirectory: work)
        if report.mode == .bubblewrap {
            args += [configuration.bwrapPath] + bwrapArguments(spec, work: work, seccompFd: seccompFd, command: command)
            stdio.append(.fd(seccompFd))
        } else {
            _ = ensureDirectory(work + "/.tmp")
            args += command ?? [spec.executable] + spec.arguments
        }
        let cwd = report.mode == .bubblewrap ? work : (spec.workingDirectory ?? work)
        return Process.Options(executable: configuration.shellPath, arguments: args,
                               environment: environment(spec, paths: p), workingDirectory: cwd,
                               stdio: stdio, detached: true)
    }
}
