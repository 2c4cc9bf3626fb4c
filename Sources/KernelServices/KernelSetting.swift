import KernelConnections
import KernelCore
import KernelLoop
import KernelEngine
import KernelSandbox
import KernelTransport

/// One setting the kernel reads, as `mcpk config` lists it. Every one resolves through
/// `KernelConfiguration` (flags > environment > `.env` > default); nothing in the kernel reads
/// the process environment for an `MCPK_*` name itself.
public struct KernelSetting: Sendable {
    public let name: String
    /// The default, in words (what applies when no source sets it).
    public let defaultValue: String
    /// Shown as `***` when set.
    public let secret: Bool

    public init(_ name: String, default defaultValue: String, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.secret = secret
    }

    /// Where an effective value came from.
    public enum Source: String, Sendable, CaseIterable {
        case flag
        case env
        case dotEnv = ".env"
        case `default`
    }

    /// Every setting the kernel knows, by name.
    public static let all: [KernelSetting] = [
        KernelSetting(KernelConfiguration.Key.home.rawValue, default: "./.mcpk"),
        KernelSetting(KernelConfiguration.Key.socket.rawValue, default: "$MCPK_HOME/mcpk.sock"),
        KernelSetting(KernelConfiguration.Key.http.rawValue, default: KernelConfiguration.defaultHTTPAddress),
        KernelSetting(KernelConfiguration.Key.plugins.rawValue, default: "<bundled plugin dir>:$MCPK_HOME/plugins"),
        KernelSetting(KernelConfiguration.Key.databaseURL.rawValue, default: "sqlite://$MCPK_HOME/mcpk.db", secret: false),
        KernelSetting(KernelConfiguration.Key.token.rawValue, default: "(none: no auth on loopback)", secret: true),
        KernelSetting(KernelConfiguration.Key.logLevel.rawValue, default: "info"),
        KernelSetting("MCPK_CORS_ORIGINS", default: "(none)"),
        KernelSetting(ConsoleFiles.directorySetting, default: "(next to the executable)"),
        KernelSetting("MCPK_SANDBOX", default: "bubblewrap (none: no isolation)"),
        KernelSetting(Kernel.pluginIsolationVariable, default: "in-process"),
        KernelSetting(ConnectionRuntime.poolSizeVariable, default: String(ConnectionRuntime.defaultPoolSize)),
        KernelSetting(SandboxConfiguration.cgroupRootVariable, default: "/sys/fs/cgroup/mcpk"),
        KernelSetting(SandboxConfiguration.runtimeDirectoryVariable, default: "runtime/ next to or above the executable"),
        KernelSetting(SandboxConfiguration.pythonRuntimeVariable, default: "$MCPK_HOME/runtimes/python"),
        KernelSetting(SandboxConfiguration.pipCacheVariable, default: "~/.cache/mcpk/pip"),
        KernelSetting(SandboxConfiguration.notebookDirectoryVariable, default: "$MCPK_HOME/notebooks"),
        KernelSetting(StepRuntimes.autoInstallVariable, default: "1"),
        KernelSetting(RunnerSettings.enabledSetting, default: "on"),
        KernelSetting(RunnerSettings.maxStepsSetting, default: String(RunnerSettings.defaultMaxSteps)),
        KernelSetting(RunnerSettings.idleSecondsSetting, default: String(RunnerSettings.defaultIdleSeconds)),
        KernelSetting(RunnerSettings.maxPerPoolSetting, default: "MCPK_MAX_CONCURRENT_STEPS"),
        KernelSetting(RunnerSettings.maxTotalSetting, default: "\(RunnerSettings.defaultMaxTotal), or MCPK_MAX_CONCURRENT_STEPS if higher"),
        KernelSetting("MCPK_MAX_CONCURRENT_STEPS", default: "2 × cores"),
        KernelSetting(LoopWatchdog.thresholdSetting, default: "off"),
        KernelSetting(LoopWatchdog.abortSetting, default: "0"),
        KernelSetting(Kernel.runLeaseVariable, default: String(EngineLimits.leaseMilliseconds)),
        KernelSetting(Kernel.shutdownGraceVariable, default: "30"),
        KernelSetting(Kernel.maxResultBytesVariable, default: "1G"),
        KernelSetting(RetentionPolicy.variable, default: "(keep everything)"),
        KernelSetting(Scheduler.lateToleranceVariable, default: "(scheduler default)"),
        KernelSetting("MCPK_HTTP_MAX_BODY_BYTES", default: String(HTTPLimits().maxBodyBytes)),
        KernelSetting("MCPK_HTTP_MAX_HEADER_BYTES", default: String(HTTPLimits().maxHeaderBytes)),
        KernelSetting("MCPK_HTTP_MAX_HEADER_COUNT", default: String(HTTPLimits().maxHeaderCount)),
        KernelSetting("MCPK_HTTP_IDLE_TIMEOUT_MS", default: String(HTTPLimits().idleTimeoutMs)),
        KernelSetting("MCPK_HTTP_HEADER_TIMEOUT_MS", default: String(HTTPLimits().headerTimeoutMs)),
        KernelSetting("MCPK_HTTP_MAX_CONNECTIONS", default: String(HTTPLimits().maxConnections)),
        KernelSetting("MCPK_SSE_QUEUE_BYTES", default: String(HTTPLimits().sseQueueBytes)),
        KernelSetting("MCPK_SSE_HEARTBEAT_MS", default: String(HTTPLimits().sseHeartbeatMs)),
    ]
}
