import CKernelSupport
import Glibc
import KernelConnections
import KernelCore
import KernelDispatch
import KernelLoop
import KernelPlugins
import KernelEngine
import KernelSandbox
import KernelStore
import KernelTransport
import Logging

/// The kernel: configuration, the dispatcher and the services behind it, and
/// the transports in front of it. One instance per `mcpk serve`, living on
/// the loop thread. Its state and services live here (KernelServices); the method
/// handlers extend it in KernelMethods, and `start()` (KernelServer) wires them together.
@KernelActor
public final class Kernel {
    public static let version = KernelVersion.current

    /// Explicit lifecycle of the kernel process.
    public enum Phase: String { case created, starting, running, stopping, stopped }

    public let configuration: KernelConfiguration
    public let dispatcher = Dispatcher()
    public let logger: Logger
    public let startedAt = Timestamp.now()
    /// Identifies this kernel process (new at every start): `instance_id` of `kernel.status` and
    /// `dashboard.health`. Run claims and leases do not use it: they use the home's owner id
    /// (`Kernel.homeOwnerID`, `$MCPK_HOME/kernel-id`), which survives a restart.
    public let instanceID = Identifier.uuid()
    public package(set) var phase: Phase = .created
    public package(set) var control: ControlServer?
    /// The store, opened by `start()` from `configuration.databaseURL` (see Kernel+Store.swift).
    public internal(set) var store: (any Store)?
    /// The HTTP/SSE shim, when `configuration.httpEndpoint` is set (see KernelServer/Kernel+HTTP.swift).
    public package(set) var http: HTTPServer?
    /// The web console's address, once HTTP listens and the console is installed.
    public package(set) var consoleURL: String?
    /// The plugin host and the open connector connections (see Kernel+Plugins.swift).
    public internal(set) var plugins: PluginHost?
    /// Plugin-level events (`emit_event`) for `events.subscribe`; they also go to the kernel log.
    public let pluginEvents = PluginEventFeed()
    /// `connection.query` calls in flight, by request id (`connection.cancel`).
    package let runningQueries = RunningQueries()
    package var connectionRuntime: ConnectionRuntime?
    /// The step sandbox and the run engine (see Kernel+Engine.swift).
    public internal(set) var sandbox: Sandbox?
    public internal(set) var engine: RunEngine?
    /// LISTEN connection of a PostgreSQL store (shared queue and cross-kernel events).
    var listener: PostgresListener?
    /// The step runtimes the kernel provisions (see Kernel+ProcessExecutors.swift, KernelMethods/RuntimeMethods.swift).
    public internal(set) var stepRuntimes: StepRuntimes?
    /// Webhooks, schedules and the MCP server (see Triggers/).
    package let triggers = TriggerServices()
    /// The console assistant's chats (see Assistant/, KernelMethods/AssistantMethods.swift).
    package let assistantChats = AssistantChats()
    package var signals: [Signal] = []
    package var lockFD: Int32 = -1
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    /// Run in order during shutdown, after transports stop accepting (close stores, stop plugins…).
    private var shutdownHooks: [(String, @KernelActor () async -> Void)] = []
    /// Run first during shutdown, once transports stop accepting new connections but before
    /// open ones close (`kernel.status` still answers): the engine's graceful drain.
    private var drainHooks: [(String, @KernelActor () async -> Void)] = []
    /// What the engine's drain did at the last shutdown (`mcpk serve` prints it).
    public internal(set) var drainReport: DrainReport?
    /// Extra sections of `kernel.status` contributed by services.
    package var statusProviders: [(String, @KernelActor () -> JSON)] = []
    /// How long a `kernel.status` RSS reading stays fresh.
    package static let rssRefreshMs: Int64 = 1000
    package var rssCached: UInt64 = 0
    package var rssReadAt = Timestamp(milliseconds: 0)
    /// `kernel.status` values fixed for the process's life (start time and
    /// configuration are immutable), rendered once on first use.
    package lazy var statusFixed: (pid: JSON, startedAt: JSON, store: JSON, home: JSON, pluginDirs: JSON, socket: JSON, http: JSON) = (
        .int(Int64(getpid())), startedAt.json,
        ["kind": .string(configuration.storeKind), "url": .string(configuration.redactedDatabaseURL)],
        .string(configuration.home), JSON(configuration.pluginDirs), .string(configuration.socketPath),
        configuration.httpEndpoint == nil ? .null : .string(configuration.httpAddress))
    /// Time from `start()` to ready, in milliseconds.
    public package(set) var startupMilliseconds: Double = 0

    public init(configuration: KernelConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Adds a step to the shutdown sequence.
    public func onShutdown(_ name: String, _ hook: @escaping @KernelActor () async -> Void) {
        shutdownHooks.append((name, hook))
    }

    /// Adds a step to the drain that starts the shutdown sequence (before connections close).
    public func onDrain(_ name: String, _ hook: @escaping @KernelActor () async -> Void) {
        drainHooks.append((name, hook))
    }

    /// Adds a named section to `kernel.status`.
    public func addStatus(_ name: String, _ provider: @escaping @KernelActor () -> JSON) {
        statusProviders.append((name, provider))
    }

    /// Graceful stop: stop accepting, finish in-flight replies, run the
    /// shutdown hooks, close every handle, remove the socket.
    public func shutdown() async {
        guard phase == .running || phase == .starting else {
            if phase == .stopping { await waitUntilStopped() }
            return
        }
        phase = .stopping
        control?.stopAccepting()
        http?.stopAccepting()
        for (name, hook) in drainHooks {
            logger.debug("drain step", metadata: ["step": "\(name)"])
            await hook()
        }
        await control?.closeAll()
        await http?.closeAll()
        for (name, hook) in shutdownHooks.reversed() {
            logger.debug("shutdown step", metadata: ["step": "\(name)"])
            await hook()
        }
        for s in signals { s.close() }
        signals = []
        if lockFD >= 0 {
            close(lockFD)
            lockFD = -1
        }
        phase = .stopped
        logger.info("kernel stopped")
        let waiters = stopWaiters
        stopWaiters = []
        for w in waiters { w.resume() }
    }

    /// Returns once the kernel has stopped.
    public func waitUntilStopped() async {
        if phase == .stopped { return }
        await withCheckedContinuation { stopWaiters.append($0) }
    }

    // MARK: helpers

    /// `mkdir -p` with a mode for the directories it creates.
    public static func makeDirectories(_ path: String, mode: mode_t) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw KernelError.unavailable("cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

extension String {
    package func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
