/// Every limit of the run engine, named (DESIGN.md §9).
public enum EngineLimits {
    /// Default kernel-wide concurrent steps = this × cores (`MCPK_MAX_CONCURRENT_STEPS` overrides).
    public static let concurrentStepsPerCore = 2
    /// Upper bound on retries a step may declare.
    public static let maxRetries = 20
    /// Longest backoff between two attempts, in seconds.
    public static let maxBackoffSeconds = 300.0
    /// Jitter applied to a backoff: the delay is multiplied by a factor in 1 ± this.
    public static let backoffJitter = 0.2
    /// Time between SIGTERM and SIGKILL when a step is stopped (cancel, timeout).
    public static let terminateGraceMilliseconds: UInt64 = 2000
    /// Longest line kept from a step's stdout/stderr (longer lines are cut).
    public static let maxLogLineBytes = 16 * 1024
    /// Bytes of stdout+stderr kept per attempt; the rest is dropped with one `truncated` log event.
    public static let maxOutputBytesPerAttempt = 64 * 1024 * 1024
    /// Largest message a step may send on its fd-3 channel.
    public static let maxChannelLineBytes = 8 * 1024 * 1024
    /// Events per store page when replaying to a subscriber.
    public static let replayPageSize = 2000
    /// Largest page `run.events` returns.
    public static let maxEventsPage = 10_000
    /// Largest page `run.list` returns.
    public static let maxRunsPage = 500
    /// Events persisted in one store transaction (journal group commit) at most.
    public static let maxEventBatch = 5000
    /// Step rows persisted in one journal group commit at most.
    public static let maxStepRowBatch = 5000
    /// Live events buffered for a subscriber still replaying history before it is dropped.
    public static let maxSubscriberBuffer = 100_000
    /// Lease of a run claim; renewed every third of it (`MCPK_RUN_LEASE_MS` overrides).
    public static let leaseMilliseconds: Int64 = 30_000
    /// Shortest lease `MCPK_RUN_LEASE_MS` accepts.
    public static let minLeaseMilliseconds: Int64 = 1000
    /// Lease renewals (and takeover sweeps) per lease period.
    public static let leaseRenewalsPerLease: Int64 = 3
    /// Runs taken over from dead kernels in one sweep at most (the rest wait for the next).
    public static let maxTakeoversPerSweep = 16
    /// Runs claimed from the shared queue in one transaction at most (a kernel claims no more
    /// than its free capacity: `maxConcurrentSteps` − runs it holds).
    public static let maxClaimBatch = 32
    /// The slow re-check of the shared queue and of followed remote runs: every lease/3 (the
    /// lease timer, 10 s by default), covering a lost NOTIFY. Idle kernels do not poll otherwise.
    public static let queueRechecksPerLease: Int64 = leaseRenewalsPerLease
    /// With Redis connected, a NOTIFY of events Redis has not delivered yet waits this long for
    /// Redis before the events are read from the store instead (a lost pub/sub message).
    public static let redisGraceMilliseconds: UInt64 = 100
    /// Largest Redis message of one run's events (bigger: subscribers read them from the store).
    public static let maxRedisEventMessageBytes = 1024 * 1024
    /// Parsed workflow versions / component versions cached for claims (cleared when full).
    public static let maxCachedVersions = 512
    /// Steps in one workflow at most.
    public static let maxStepsPerWorkflow = 1000
    /// Largest artifact file kept from a step.
    public static let maxArtifactBytes = 256 * 1024 * 1024
    /// Size of an artifact file a `run.artifact` call returns inline.
    public static let maxInlineArtifactBytes = 8 * 1024 * 1024
    /// How deep nested `workflow` steps may go (a run of a workflow that runs itself stops here).
    public static let maxWorkflowNesting = 8
    /// `MCPK_SHUTDOWN_GRACE` default: how long SIGTERM waits for running steps (ms).
    public static let shutdownGraceMilliseconds: UInt64 = 30_000
    /// Longest `MCPK_SHUTDOWN_GRACE` (1 h).
    public static let maxShutdownGraceMilliseconds: UInt64 = 3_600_000
    /// How often a drain logs the steps it still waits for (ms).
    public static let drainProgressLogMilliseconds: Double = 5000
}
