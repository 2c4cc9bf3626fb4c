import KernelCore

/// Everything the sandbox needs to run one step process. Executors build it
/// (`ProcessExecutor.plan`); paths inside the sandbox come from `SandboxPaths`.
public struct StepSpec: Sendable {
    public var runId: String
    public var stepId: String
    public var attempt: Int
    /// Program and arguments as seen inside the sandbox.
    public var executable: String
    public var arguments: [String]
    /// The step's declared environment variables (added to the clean base).
    public var environment: [String: String]
    /// Files written into the work dir before start (relative path → bytes).
    public var files: [String: [UInt8]]
    /// Written as `inputs.json`.
    public var inputs: JSON
    /// A prepared `inputs.json` (host path, outside the work dir) moved in instead of
    /// serialising `inputs` (the engine's, with stored values spliced in).
    public var inputsFile: String?
    /// Host files copied into the work dir before start (work-dir relative path → host path):
    /// the run artifacts the inputs reference (`artifacts/<name>`).
    public var stagedFiles: [String: String] = [:]
    /// Share the host network namespace (component `network: true`).
    public var network: Bool
    public var timeoutMs: UInt64
    public var cpuSeconds: UInt64
    public var memoryMb: UInt64
    /// Apply `memoryMb` as RLIMIT_AS too (off for runtimes that reserve huge
    /// virtual ranges, e.g. V8; the cgroup limit still applies when present).
    public var limitAddressSpace: Bool
    public var maxProcesses: UInt64
    public var fileSizeBytes: UInt64
    public var openFiles: UInt64
    /// Extra host paths bound read-only at the same path (runtime venvs, caches).
    public var readOnlyBinds: [String]
    /// Extra host paths bound writable at the same path (a venv being built).
    public var writableBinds: [String]
    /// Host directories bound read-only at another path (a git checkout).
    public var readOnlyMounts: [SandboxMount]
    /// The step's working directory as it sees it (`Sandbox.seenPath`); nil = the work dir.
    public var workingDirectory: String?
    /// Connection names the component declares; queries for others are refused.
    public var declaredConnections: Set<String>
    /// A service keeps running after its `result` (Streamlit); ended by cancel or ttl.
    public var isService: Bool

    public init(runId: String, stepId: String, attempt: Int = 1, executable: String, arguments: [String] = [],
                environment: [String: String] = [:], files: [String: [UInt8]] = [:], inputs: JSON = .object(JSONObject()),
                network: Bool = false, timeoutMs: UInt64 = SandboxLimits.defaultTimeoutMs,
                cpuSeconds: UInt64 = SandboxLimits.defaultCpuSeconds, memoryMb: UInt64 = SandboxLimits.defaultMemoryMb,
                limitAddressSpace: Bool = true,
                maxProcesses: UInt64 = SandboxLimits.defaultProcesses, fileSizeBytes: UInt64 = SandboxLimits.defaultFileSizeBytes,
                openFiles: UInt64 = SandboxLimits.defaultOpenFiles, readOnlyBinds: [String] = [], writableBinds: [String] = [],
                declaredConnections: Set<String> = [], isService: Bool = false,
                readOnlyMounts: [SandboxMount] = [], workingDirectory: String? = nil) {
        self.runId = runId
        self.stepId = stepId
        self.attempt = attempt
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.files = files
        self.inputs = inputs
        self.network = network
        self.timeoutMs = min(max(timeoutMs, 1), SandboxLimits.maxTimeoutMs)
        self.cpuSeconds = max(cpuSeconds, 1)
        self.memoryMb = max(memoryMb, SandboxLimits.minMemoryMb)
        self.limitAddressSpace = limitAddressSpace
        self.maxProcesses = max(maxProcesses, 8)
        self.fileSizeBytes = fileSizeBytes
        self.openFiles = max(openFiles, 32)
        self.readOnlyBinds = readOnlyBinds
        self.writableBinds = writableBinds
        self.declaredConnections = declaredConnections
        self.isService = isService
        self.readOnlyMounts = readOnlyMounts
        self.workingDirectory = workingDirectory
    }
}

/// Where the step's work dir and the runtime helpers appear to the step.
public struct SandboxPaths: Sendable, Equatable {
    public var work: String
    public var runtime: String
    public init(work: String, runtime: String) {
        self.work = work
        self.runtime = runtime
    }
}
