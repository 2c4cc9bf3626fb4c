import Glibc
import KernelCore
import KernelLoop
import KernelEngine
import KernelPlugins
@testable import KernelSandbox

/// A sandbox with a fresh kernel home under /tmp, the repository's runtime
/// helpers and the shared runtime venv (MCPK_PYTHON_RUNTIME, else the home's).
@KernelActor
final class SandboxFixture {
    let home: String
    let sandbox: Sandbox
    var events: [StepEvent] = []

    /// The runtime venv `make test` creates (scripts/python-runtime.sh), or MCPK_PYTHON_RUNTIME.
    nonisolated static var pythonRuntime: String {
        SandboxConfiguration.env("MCPK_PYTHON_RUNTIME") ?? repoRoot + "/.mcpk/runtimes/python"
    }

    /// True when the runtime venv exists; without it notebook/Streamlit/MCP tests fail under CI and are skipped otherwise.
    nonisolated static var hasPythonRuntime: Bool {
        if access(pythonRuntime + "/bin/python", X_OK) == 0 { return true }
        if SandboxConfiguration.env("CI") == "true" { return true } // run and fail loudly
        print("SKIP: no runtime venv at \(pythonRuntime) — run scripts/python-runtime.sh (make test does)")
        return false
    }

    nonisolated static var repoRoot: String {
        var p = #filePath
        for _ in 0..<3 { p = p.parent }
        return p
    }

    /// `warm`: Python Script steps run in warm runners (one pool per component code, as the kernel does);
    /// otherwise every step is a cold spawn (`MCPK_RUNNERS=off`).
    init(mode: SandboxMode = .bubblewrap, bwrap: String? = nil, warm: Bool = false,
         runners: RunnerSettings? = nil) async {
        var template = Array("/tmp/mcpk-sbx-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        home = dir
        var config = SandboxConfiguration(home: dir, runtimeDirectory: SandboxFixture.repoRoot + "/runtime",
                                          pythonRuntime: SandboxFixture.pythonRuntime, requestedMode: mode,
                                          runners: runners ?? RunnerSettings(enabled: warm))
        if let bwrap { config.bwrapPath = bwrap }
        sandbox = Sandbox(configuration: config)
        runtime = ProcessStepRuntime(sandbox: sandbox)
        await sandbox.probe()
    }

    /// One runtime for the fixture's life, so consecutive steps of one component share a runner.
    let runtime: ProcessStepRuntime

    /// Runs a Python step (`main(**inputs)` script) and collects its events.
    /// The python executor plugin, loaded through a PluginHost like the kernel does.
    private var plugins: PluginHost?

    /// Runs a Python Script step the way the kernel does: planned by the python executor
    /// plugin (`Plugins/python`, leased from a PluginHost), then run in the sandbox.
    func python(_ code: String, inputs: JSON = [:], timeoutMs: UInt64 = 60_000, memoryMb: UInt64 = 512,
                network: Bool = false, connections: Set<String> = [], stepId: String? = nil,
                onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) async throws -> StepOutcome {
        let host: PluginHost
        if let plugins { host = plugins } else {
            let dir = SandboxConfiguration.env("MCPK_PLUGIN_BUILD_DIR") ?? (SandboxFixture.repoRoot + "/.build/debug")
            host = PluginHost(configuration: PluginHostConfiguration(directories: []))
            _ = try await host.load(path: dir + "/libmcpk-python.so")
            plugins = host
        }
        guard let lease = host.executor(forType: "Python Script") else { throw KernelError.unavailable("python plugin not loaded") }
        defer { lease.release() }
        let config: JSON = ["codeContent": .string(code), "timeoutSeconds": .int(Int64((timeoutMs + 999) / 1000)),
                            "memoryMb": .int(Int64(memoryMb)), "network": .bool(network),
                            "connections": .array(connections.sorted().map { .string($0) })]
        events = []
        let step = runtime.start(
            executor: ExecutorPlanner(lease: lease), componentType: "Python Script", config: config, inputs: inputs,
            runId: "r1", stepId: stepId ?? "s\(Int.random(in: 0..<1_000_000))", attempt: 1,
            owner: RunnerPool.Owner(componentID: "c-" + SHA256.hex(code).prefix(12), version: 1),
            onEvent: { [weak self] e in self?.events.append(e) }, onQuery: onQuery)
        let c = await step.completed()
        guard let outcome = c.outcome else {
            if case .failure(let e) = c.result { throw e }  // the plan was refused
            throw KernelError.internal("the step produced no outcome")
        }
        return outcome
    }

    func run(_ spec: StepSpec, onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) async throws -> StepOutcome {
        events = []
        let onEvent: @KernelActor (StepEvent) -> Void = { [weak self] e in self?.events.append(e) }
        if sandbox.configuration.runners.enabled,
           let warm = await sandbox.runners.start(spec, owner: RunnerPool.Owner(componentID: "raw-" + spec.stepId, version: 1),
                                                  onEvent: onEvent, onQuery: onQuery) {
            return await warm.outcome()
        }
        let step = try sandbox.start(spec, onEvent: onEvent, onQuery: onQuery)
        return await step.outcome()
    }

    /// Processes left in the pid namespaces of this fixture's warm runners, other than
    /// each namespace's init and the runner itself (a runner kills them after every attempt).
    /// A killed process is gone once the kernel has delivered SIGKILL, but /proc lists it until
    /// its parent reaps it, which a loaded machine may delay: so this waits for the count to
    /// reach 0 for up to `stragglerReapRounds` × 50 ms and returns what is still left then.
    func warmStragglers() -> Int {
        func count() -> Int {
            var total = 0
            for r in sandbox.runners.allRunners where r.hostPid > 0 {
                total += max(0, namespaceDescendants(of: r.hostPid) - 2)
            }
            return total
        }
        var left = count()
        for _ in 0..<Self.stragglerReapRounds where left > 0 {
            usleep(50_000)
            left = count()
        }
        return left
    }

    /// How long `warmStragglers` lets killed attempts be reaped: 100 × 50 ms = 5 s.
    static let stragglerReapRounds = 100

    var stdout: [String] {
        events.compactMap { if case .log("stdout", let l) = $0 { return l }; return nil }
    }

    func cleanup() {
        sandbox.runners.shutdown()
        removeTree(home)
        if let plugins { Task { @KernelActor in await plugins.shutdown() } }
    }
}

/// Host processes whose environment carries this step id (leftovers of a step).
func leftoverProcesses(stepId: String) -> [Int32] {
    guard let d = opendir("/proc") else { return [] }
    defer { closedir(d) }
    var pids: [Int32] = []
    while let e = readdir(d) {
        let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        guard let pid = Int32(name) else { continue }
        let fd = open("/proc/\(pid)/environ", O_RDONLY)
        guard fd >= 0 else { continue }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        if n > 0, String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\0").contains(Substring("MCPK_STEP_ID=\(stepId)")) {
            pids.append(pid)
        }
    }
    return pids
}

/// A listening socket on the host (TCP on 127.0.0.1 or a Unix path); returns (fd, port).
func hostListener(unixPath: String? = nil) -> (Int32, Int) {
    if let unixPath {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(unixPath.utf8)
            for (i, c) in b.enumerated() where i < raw.count - 1 { raw[i] = c }
        }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        listen(fd, 16)
        return (fd, 0)
    }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    listen(fd, 16)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// Descendants of `root` (host pids) that live in another pid namespace than this process.
func namespaceDescendants(of root: Int32) -> Int {
    var parent: [Int32: Int32] = [:]
    guard let d = opendir("/proc") else { return 0 }
    while let e = readdir(d) {
        let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        guard let pid = Int32(name), let stat = readFile("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let ppid = Int32(fields[1]) { parent[pid] = ppid }
    }
    closedir(d)
    func descends(_ p: Int32) -> Bool {
        var cur = p
        for _ in 0..<64 {
            guard let pp = parent[cur] else { return false }
            if pp == root { return true }
            cur = pp
        }
        return false
    }
    func ns(_ p: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 128)
        let n = readlink("/proc/\(p)/ns/pid", &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
    let mine = ns(getpid())
    return parent.keys.filter { descends($0) && ns($0) != mine }.count
}
