import Glibc
import KernelCore

/// Settings of the warm runner pools (`MCPK_RUNNER*`, resolved by the kernel's
/// configuration: flags > environment > `.env` > these defaults).
public struct RunnerSettings: Sendable, Equatable {
    /// `MCPK_RUNNERS`: `on` (default) or `off` (every step is a cold spawn).
    public static let enabledSetting = "MCPK_RUNNERS"
    /// `MCPK_RUNNER_MAX_STEPS`: attempts one runner serves before it is retired.
    public static let maxStepsSetting = "MCPK_RUNNER_MAX_STEPS"
    /// `MCPK_RUNNER_IDLE_SECONDS`: an idle runner is retired after this long.
    public static let idleSecondsSetting = "MCPK_RUNNER_IDLE_SECONDS"
    /// `MCPK_RUNNER_MAX_PER_POOL`: runners of one pool (component version × sandbox profile) at once.
    public static let maxPerPoolSetting = "MCPK_RUNNER_MAX_PER_POOL"
    /// `MCPK_RUNNER_MAX_TOTAL`: runners of the whole kernel at once; past it steps spawn cold.
    public static let maxTotalSetting = "MCPK_RUNNER_MAX_TOTAL"

    public static let defaultMaxSteps = 200
    public static let defaultIdleSeconds = 120
    public static let defaultMaxTotal = 16
    /// How long a new runner may take to start and preload before the step falls back to a cold spawn.
    public static let startTimeoutMs: UInt64 = 60_000
    /// Time a retiring runner gets to exit after its control socket closed, before it is killed.
    public static let retireGraceMs: UInt64 = 2_000

    public var enabled: Bool
    public var maxSteps: Int
    public var idleSeconds: Int
    public var maxPerPool: Int
    public var maxTotal: Int

    public init(enabled: Bool = true, maxSteps: Int = RunnerSettings.defaultMaxSteps,
                idleSeconds: Int = RunnerSettings.defaultIdleSeconds, maxPerPool: Int? = nil,
                maxTotal: Int = RunnerSettings.defaultMaxTotal) {
        self.enabled = enabled
        self.maxSteps = max(1, maxSteps)
        self.idleSeconds = max(1, idleSeconds)
        self.maxPerPool = max(1, maxPerPool ?? RunnerSettings.defaultMaxPerPool)
        self.maxTotal = max(1, maxTotal)
    }

    /// One runner per concurrent step the engine allows by default (2 × cores).
    public static var defaultMaxPerPool: Int { max(2, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// From resolved settings (`MCPK_*` name → value); malformed numbers are errors naming the setting.
    /// `stepConcurrency` is the kernel's step limit (`MCPK_MAX_CONCURRENT_STEPS`) when set: a pool
    /// then defaults to one runner per step the kernel may run at once, and the kernel-wide limit to
    /// at least that many, so a component running at the kernel's full concurrency never falls back
    /// to cold spawns for want of runners (a full pool spawns cold: ~10× a warm attempt).
    public static func from(_ settings: [String: String], stepConcurrency: Int? = nil) throws -> RunnerSettings {
        func number(_ name: String, _ fallback: Int) throws -> Int {
            guard let raw = settings[name], !raw.isEmpty else { return fallback }
            guard let n = Int(raw), n > 0 else { throw KernelError.invalidParams("\(name) must be a positive integer (got '\(raw)')") }
            return n
        }
        var enabled = true
        if let raw = settings[enabledSetting], !raw.isEmpty {
            switch raw.lowercased() {
            case "on", "1", "true", "yes": enabled = true
            case "off", "0", "false", "no": enabled = false
            default: throw KernelError.invalidParams("\(enabledSetting) must be on or off (got '\(raw)')")
            }
        }
        return RunnerSettings(enabled: enabled, maxSteps: try number(maxStepsSetting, defaultMaxSteps),
                              idleSeconds: try number(idleSecondsSetting, defaultIdleSeconds),
                              maxPerPool: try number(maxPerPoolSetting, stepConcurrency ?? defaultMaxPerPool),
                              maxTotal: try number(maxTotalSetting, max(defaultMaxTotal, stepConcurrency ?? 0)))
    }
}
