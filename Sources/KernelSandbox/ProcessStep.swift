import Glibc
import KernelCore
import KernelLoop

/// One process-based step driven end to end: `plan` (executor plugin) →
/// git checkout / notebook file / requirements venv / TypeScript transpile /
/// service port → sandboxed
/// process → `finish`. What the engine calls for Python, TypeScript,
/// notebook, Streamlit and MCP components.
@KernelActor
public final class ProcessStep {
    public enum Phase: Equatable { case preparing, running, serving, finished }

    /// How the step ended, for the engine: the result or the error text.
    public struct Completion: Sendable {
        public var result: Result<JSON, KernelError>
        public var outcome: StepOutcome?
        public var artifacts: [StepArtifact] { outcome?.artifacts ?? [] }
    }

    public static let serviceStartTimeoutMs: UInt64 = 120_000
    public static let healthPollMs: UInt64 = 250

    public private(set) var phase: Phase = .preparing
    public private(set) var serviceURL: String?
    private let runtime: ProcessStepRuntime
    private let executor: any StepPlanning
    private let step: StepCall
    private let onEvent: @KernelActor (StepEvent) -> Void
    private let onQuery: (@KernelActor (StepQuery) async throws -> JSON)?
    /// The component version a warm runner would serve (nil: runners keyed by the plan alone).
    private let owner: RunnerPool.Owner?
    private var process: StepProcess?
    /// A prepared inputs.json (references resolved) moved into the work dir at start.
    var inputsFile: String?
    /// Run artifacts the inputs reference, copied into the work dir at start (`StepSpec.stagedFiles`).
    var stagedFiles: [String: String] = [:]
    private var cancelled = false
    /// Stops waiting for a step runtime build (set while the step waits for one).
    private var stopWaiting: (@KernelActor () -> Void)?
    private var ttlTimer: Timer?
    private var completion: Completion?
    private var waiters: [CheckedContinuation<Completion, Never>] = []

    init(runtime: ProcessStepRuntime, executor: any StepPlanning, step: StepCall, owner: RunnerPool.Owner?,
         onEvent: @escaping @KernelActor (StepEvent) -> Void, onQuery: (@KernelActor (StepQuery) async throws -> JSON)?) {
        self.runtime = runtime
        self.owner = owner
        self.executor = executor
        self.step = step
        self.onEvent = onEvent
        self.onQuery = onQuery
    }

    /// Stops the step wherever it is (a service: this is how it ends).
    public func cancel() {
        cancelled = true
        stopWaiting?()
        stopWaiting = nil
        process?.cancel()
    }

    /// Waits for the end.
    public func completed() async -> Completion {
        if let completion { return completion }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func run(config: JSON) async {
        let result: Completion
        do {
            result = try await execute(config: config)
        } catch let e as KernelError {
            result = Completion(result: .failure(e), outcome: nil)
        } catch {
            result = Completion(result: .failure(.internal("\(error)")), outcome: nil)
        }
        ttlTimer?.close()
        ttlTimer = nil
        phase = .finished
        completion = result
        let w = waiters
        waiters = []
        for c in w { c.resume(returning: result) }
    }

    private func execute(config: JSON) async throws -> Completion {
        let sandbox = runtime.sandbox
        let planJSON = try await executor.plan(step)
        let plan = try ProcessPlan(json: planJSON)
        if let needed = plan.runtime {
            if cancelled { throw KernelError.conflict("cancelled") }
            try await runtime.runtimes.ensure(needed, onEvent: onEvent, onWaiting: { [weak self] stop in self?.stopWaiting = stop })
            stopWaiting = nil
        }
        if cancelled { throw KernelError.conflict("cancelled") }
        var python = sandbox.configuration.pythonExecutable
        var binds = plan.readOnlyBinds
        if python.hasPrefix(sandbox.configuration.pythonRuntime) { binds.append(sandbox.configuration.pythonRuntime) }
        var requirements = plan.requirements
        var origin = "config"
        var mounts: [SandboxMount] = []
        var sourceSeen = "", entrySeen = ""
        if let git = plan.gitSource {
            let checkout = try await runtime.git.ensure(url: git.url, ref: git.ref, onEvent: onEvent)
            // Resolved off the loop (realpath, a small read): the entry inside the checkout, its requirements.txt.
            // The repository's requirements.txt only counts when the component sets none.
            let tree = checkout.tree, wanted = git.entry, wantsOwn = requirements.isEmpty
            let (entry, own) = try await runtime.probes.run {
                (try SourceFiles.resolve(wanted, inside: tree, field: "mainScriptPath").relative,
                 wantsOwn ? try GitCheckouts.repositoryRequirements(tree: tree) : nil)
            }
            let mount = SandboxMount(source: checkout.tree, destination: SandboxLimits.sourceMount)
            mounts.append(mount)
            sourceSeen = sandbox.seenPath(of: mount)
            entrySeen = sourceSeen + "/" + entry
            if let own, !own.isEmpty {
                onEvent(.log(stream: "kernel", line: "using the repository's \(GitCheckouts.requirementsFile) (\(own.count) requirements)"))
                requirements = own
                origin = "repository " + git.url
            }
        }
        if cancelled { throw KernelError.conflict("cancelled") }
        if !requirements.isEmpty {
            let venv = try await runtime.environments.ensure(requirements, origin: origin, onEvent: onEvent)
            python = venv + "/bin/python"
            binds.append(venv)
        }
        if cancelled { throw KernelError.conflict("cancelled") }
        var files: [String: [UInt8]] = [:]
        for f in plan.files { files[f.path] = Array(f.content.utf8) }
        if let ref = plan.notebookReference {
            let root = sandbox.configuration.notebookDirectory
            let bytes = try await runtime.probes.run { try NotebookFiles.read(ref.path, root: root) }
            onEvent(.log(stream: "kernel", line: "notebook: read \(ref.path) (\(bytes.count) bytes) from the notebook root"))
            files[ref.file] = bytes
        }
        if let src = plan.typescriptSource, let out = plan.typescriptOutput {
            guard let ts = files[src] else { throw KernelError.invalidParams("typescript source \(src) is not among the spec's files") }
            files[out] = Array(try await runtime.typescript.compile(String(decoding: ts, as: UTF8.self)).utf8)
        }
        var port: Int?
        if plan.isService {
            port = (plan.servicePort ?? 0) > 0 ? plan.servicePort : ProcessStep.freeLocalPort()
            guard port != nil else { throw KernelError.unavailable("no free local port for the service") }
        }
        let paths = sandbox.paths(forWorkDirectory: step.workDirectory)
        func fill(_ s: String) -> String {
            s.replacingAll("{python}", python).replacingAll("{runtime}", paths.runtime).replacingAll("{work}", paths.work)
                .replacingAll("{port}", port.map(String.init) ?? "").replacingAll("{source}", sourceSeen)
                .replacingAll("{entry}", entrySeen)
        }
        let argv = plan.argv.map(fill)
        var spec = StepSpec(runId: step.runId, stepId: step.stepId, attempt: step.attempt, executable: argv[0],
                            arguments: Array(argv.dropFirst()), environment: plan.env.mapValues(fill), files: files,
                            inputs: step.inputs, network: plan.network,
                            timeoutMs: plan.isService ? (plan.ttlSeconds ?? UInt64(ComponentConventions.defaultServiceTTLSeconds)) * 1000 + ProcessStep.serviceStartTimeoutMs
                                                      : (plan.timeoutMs ?? SandboxLimits.defaultTimeoutMs),
                            cpuSeconds: plan.cpuSeconds ?? (plan.isService ? (plan.ttlSeconds ?? UInt64(ComponentConventions.defaultServiceTTLSeconds)) : SandboxLimits.defaultCpuSeconds),
                            memoryMb: plan.memoryMb ?? SandboxLimits.defaultMemoryMb, limitAddressSpace: plan.limitAddressSpace,
                            readOnlyBinds: binds, declaredConnections: plan.connections, isService: plan.isService,
                            readOnlyMounts: mounts, workingDirectory: mounts.isEmpty ? nil : sourceSeen)
        spec.network = plan.network
        if let limit = config["maxResultBytes"]?.intValue, limit > 0 {
            spec.fileSizeBytes = max(spec.fileSizeBytes, UInt64(limit) + SandboxLimits.fileSizeHeadroomBytes)
        }
        spec.inputsFile = inputsFile
        spec.stagedFiles = stagedFiles
        if cancelled { throw KernelError.conflict("cancelled") }
        var warm: StepProcess?
        if plan.warm, !plan.isService {
            warm = await sandbox.runners.start(spec, owner: owner, onEvent: onEvent, onQuery: onQuery)
            if cancelled {
                warm?.cancel()
                if warm == nil { throw KernelError.conflict("cancelled") }
            }
        }
        let p = try warm ?? sandbox.start(spec, onEvent: onEvent, onQuery: onQuery)
        process = p
        phase = .running
        if let port, let health = plan.serviceHealthPath {
            Task { @KernelActor [weak self] in await self?.watchService(port: port, healthPath: health, ttl: plan.ttlSeconds ?? UInt64(ComponentConventions.defaultServiceTTLSeconds)) }
        }
        let outcome = await p.outcome()
        if let custom = await executor.finish(step, outcome: outcome) { return Completion(result: custom, outcome: outcome) }
        if plan.isService, serviceURL != nil, outcome.termination == .cancelled || outcome.termination == .timedOut {
            // A service that served until it was stopped ended normally.
            return Completion(result: .success(["url": .string(serviceURL ?? "")]), outcome: outcome)
        }
        if outcome.succeeded { return Completion(result: .success(outcome.result ?? .null), outcome: outcome) }
        return Completion(result: .failure(KernelError(.internal, outcome.failureSummary)), outcome: outcome)
    }

    /// Polls the service's health endpoint; once healthy emits `result {url}` and arms the ttl.
    private func watchService(port: Int, healthPath: String, ttl: UInt64) async {
        let deadline = Timestamp.now().milliseconds + Int64(ProcessStep.serviceStartTimeoutMs)
        while phase == .running, Timestamp.now().milliseconds < deadline {
            let status = try? await runtime.probes.run { ProcessStep.httpStatus(port: port, path: healthPath) }
            guard phase == .running else { return }
            if status == 200 {
                let url = "http://127.0.0.1:\(port)/"
                serviceURL = url
                phase = .serving
                onEvent(.result(["url": .string(url)]))
                if let t = try? Timer(loop: KernelRuntime.loop) {
                    ttlTimer = t
                    t.start(timeoutMs: ttl * 1000) { [weak self] in KernelActor.assumeIsolated { self?.cancel() } }
                }
                return
            }
            try? await Task.sleep(nanoseconds: ProcessStep.healthPollMs * 1_000_000)
        }
        if phase == .running {
            onEvent(.error(message: "service did not become healthy within \(ProcessStep.serviceStartTimeoutMs / 1000) s"))
            process?.cancel()
        }
    }

    /// A free TCP port on 127.0.0.1 (bound then released).
    static func freeLocalPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { return nil }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Blocking `GET path` on 127.0.0.1:port with a short timeout; the HTTP status or nil.
    static func httpStatus(port: Int, path: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { return nil }
        let req = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 12 else { return nil }
        let line = String(decoding: buf[0..<n], as: UTF8.self)
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) : nil
    }
}

/// What process steps share: the sandbox, the venv cache, the step runtimes, the TypeScript
/// cache, the git checkout cache, a probe thread (also reads notebooks off the loop).
@KernelActor
public final class ProcessStepRuntime {
    public let sandbox: Sandbox
    public let environments: PythonEnvironments
    public let runtimes: StepRuntimes
    public let typescript: TypeScriptCache
    public let git: GitCheckouts
    let probes = WorkerThread(name: "mcpk-service-probe")

    public init(sandbox: Sandbox, autoInstallRuntimes: Bool = true) {
        self.sandbox = sandbox
        environments = PythonEnvironments(sandbox: sandbox)
        runtimes = StepRuntimes(sandbox: sandbox, environments: environments, autoInstall: autoInstallRuntimes)
        typescript = TypeScriptCache(sandbox: sandbox)
        git = GitCheckouts(sandbox: sandbox)
    }

    /// Starts a process step: prepares the work dir (inputs.json), plans, runs.
    public func start(executor: any StepPlanning, componentType: String, config: JSON, inputs: JSON,
                      runId: String, stepId: String, attempt: Int, inputsFile: String? = nil, stagedFiles: [String: String] = [:],
                      owner: RunnerPool.Owner? = nil,
                      onEvent: @escaping @KernelActor (StepEvent) -> Void,
                      onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) -> ProcessStep {
        let work = sandbox.workDirectory(runId: runId, stepId: stepId, attempt: attempt)
        let step = StepCall(componentType: componentType, config: config, inputs: inputs, workDirectory: work,
                            runId: runId, stepId: stepId, attempt: attempt,
                            runtimeDirectory: sandbox.configuration.runtimeDirectory)
        let p = ProcessStep(runtime: self, executor: executor, step: step, owner: owner, onEvent: onEvent, onQuery: onQuery)
        p.inputsFile = inputsFile
        p.stagedFiles = stagedFiles
        Task { @KernelActor in await p.run(config: config) }
        return p
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return replacing(target, with: replacement)
    }
}
