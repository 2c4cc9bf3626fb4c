import KernelCore

/// Every limit of the sandbox, named. Per-step values come from the
/// component config and are clamped to these bounds.
public enum SandboxLimits {
    /// Default wall-clock timeout of one step.
    public static let defaultTimeoutMs: UInt64 = 300_000
    /// Upper bound on any step's wall-clock timeout (24 h).
    public static let maxTimeoutMs: UInt64 = 86_400_000
    /// Time between SIGTERM and SIGKILL of the whole sandbox.
    public static let killGraceMs: UInt64 = 2_000
    /// Default CPU seconds (RLIMIT_CPU).
    public static let defaultCpuSeconds: UInt64 = 300
    /// Default memory (RLIMIT_AS and cgroup memory limit), MiB.
    public static let defaultMemoryMb: UInt64 = 1024
    /// Lowest memoryMb accepted (the interpreter alone needs this much).
    public static let minMemoryMb: UInt64 = 64
    /// Largest file a step may write (RLIMIT_FSIZE), bytes: room for the largest result a step
    /// may send by file (`ValueLimits.defaultMaxResultBytes`; a component's larger
    /// `maxResultBytes` raises it for its steps) plus `fileSizeHeadroomBytes`.
    public static let defaultFileSizeBytes = UInt64(ValueLimits.defaultMaxResultBytes) + fileSizeHeadroomBytes
    /// What RLIMIT_FSIZE allows beyond the result limit.
    public static let fileSizeHeadroomBytes: UInt64 = 16 * 1024 * 1024
    /// Open files per process (RLIMIT_NOFILE).
    public static let defaultOpenFiles: UInt64 = 1024
    /// Processes/threads of the sandbox user (RLIMIT_NPROC, cgroup pids.max).
    public static let defaultProcesses: UInt64 = 256
    /// stdout+stderr bytes turned into log events; the rest is dropped.
    public static let maxLogBytes = 4 * 1024 * 1024
    /// Largest file staged into a work dir from the run's artifacts (`StepSpec.stagedFiles`;
    /// the same bound as the artifacts kept, `EngineLimits.maxArtifactBytes`).
    public static let maxStagedFileBytes = 256 * 1024 * 1024
    /// Longest log line kept; longer lines are cut.
    public static let maxLogLineBytes = 16 * 1024
    /// Longest fd 3 message (a result may be large).
    public static let maxChannelMessageBytes = 16 * 1024 * 1024
    /// Total fd 3 bytes accepted from one step.
    public static let maxChannelBytes = 64 * 1024 * 1024
    /// Queries a step may have in flight at once.
    public static let maxConcurrentQueries = 4
    /// UID/GID the step runs as inside its user namespace (no capabilities).
    public static let sandboxUid = 1000
    public static let sandboxGid = 1000
    /// Inside-sandbox path of the step's work dir.
    public static let workMount = "/step"
    /// Inside-sandbox path of the kernel's runtime helpers (`runtime/`).
    public static let runtimeMount = "/mcpk/runtime"
    /// Inside-sandbox path of a step's source checkout (git), read-only.
    public static let sourceMount = "/mcpk/source"
    /// Child fds of the step channel and the seccomp program (bwrap only).
    public static let channelFd: Int32 = 3
    public static let answerFd: Int32 = 4
    public static let seccompFd: Int32 = 5
}
