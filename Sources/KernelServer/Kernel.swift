import CKernelSupport
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import KernelEngine
import KernelSandbox
import KernelStore
import Logging

/// The kernel: configuration, the dispatcher and the services behind it, and
/// the transports in front of it. One instance per `mcpk serve`, living on
/// the loop thread.
@KernelActor
public final class Kernel {
    public static let version = "0.1.0"

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
    public private(set) var phase: Phase = .created
    public private(set) var control: ControlServer?
    /// The store, opened by `start()` from `configuration.databaseURL` (see Kernel+Store.swift).
    public internal(set) var store: (any Store)?
    /// The HTTP/SSE shim, when `configuration.httpEndpoint` is set (see Kernel+HTTP.swift).
    public internal(set) var http: HTTPServer?
    /// The web console's address, once HTTP listens and the console is installed.
    public internal(set) var consoleURL: String?
    /// The plugin host and the open connector connections (see Kernel+Plugins.swift).
    public internal(set) var plugins: PluginHost?
    /// Plugin-level events (`emit_event`) for `events.subscribe`; they also go to the kernel log.
    public let pluginEvents = PluginEventFeed()
    /// `connection.query` calls in flight, by request id (`connection.cancel`).
    let runningQueries = RunningQueries()
    var connectionRuntime: ConnectionRuntime?
    /// The step sandbox and the run engine (see Kernel+Engine.swift).
    public internal(set) var sandbox: Sandbox?
    public internal(set) var engine: RunEngine?
    /// LISTEN connection of a PostgreSQL store (shared queue and cross-kernel events).
    var listener: PostgresListener?
    /// The step runtimes the kernel provisions (see Kernel+ProcessExecutors.swift, Methods/RuntimeMethods.swift).
    public internal(set) var stepRuntimes: StepRuntimes?
    /// Webhooks, schedules and the MCP server (see Triggers/).
    let triggers = TriggerServices()
    /// The console assistant's chats (see Assistant/, Methods/AssistantMethods.swift).
    let assistantChats = AssistantChats()
    private var signals: [Signal] = []
    private var lockFD: Int32 = -1
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    /// Run in order during shutdown, after transports stop accepting (close stores, stop plugins…).
    private var shutdownHooks: [(String, @KernelActor () async -> Void)] = []
    /// Run first during shutdown, once transports stop accepting new connections but before
    /// open ones close (`kernel.status` still answers): the engine's graceful drain.
    private var drainHooks: [(String, @KernelActor () async -> Void)] = []
    /// What the engine's drain did at the last shutdown (`mcpk serve` prints it).
    public internal(set) var drainReport: DrainReport?
    /// Extra sections of `kernel.status` contributed by services.
    var statusProviders: [(String, @KernelActor () -> JSON)] = []
    /// How long a `kernel.status` RSS reading stays fresh.
    static let rssRefreshMs: Int64 = 1000
    var rssCached: UInt64 = 0
    var rssReadAt = Timestamp(milliseconds: 0)
    /// `kernel.status` values fixed for the process's life (start time and
    /// configuration are immutable), rendered once on first use.
    lazy var statusFixed: (pid: JSON, startedAt: JSON, store: JSON, home: JSON, pluginDirs: JSON, socket: JSON, http: JSON) = (
        .int(Int64(getpid())), startedAt.json,
        ["kind": .string(configuration.storeKind), "url": .string(configuration.redactedDatabaseURL)],
        .string(configuration.home), JSON(configuration.pluginDirs), .string(configuration.socketPath),
        configuration.httpEndpoint == nil ? .null : .string(configuration.httpAddress))
    /// Time from `start()` to ready, in milliseconds.
    public private(set) var startupMilliseconds: Double = 0

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

    /// Starts every service, then the transports. Throws with a clear message
    /// if the home is in use by another kernel.
    public func start() async throws {
        guard phase == .created else { return }
        phase = .starting
        let t0 = MonotonicClock.milliseconds()
        try prepareHome()
        try await openStore()
        try await startPlugins()
        registerMethods()
        try await startServices()
        try await startEngine()
        try await startTriggers()
        let server = ControlServer(path: configuration.socketPath, dispatcher: dispatcher, logger: logger)
        try server.start()
        control = server
        try await startHTTP()
        try installSignalHandlers()
        phase = .running
        startupMilliseconds = MonotonicClock.milliseconds() - t0
        logger.info("kernel ready", metadata: [
            "socket": "\(configuration.socketPath)", "store": "\(configuration.storeKind)",
            "pid": "\(getpid())", "startup_ms": "\(Int(startupMilliseconds))",
        ])
    }

    /// Creates the home (mode 0700) with its `plugins` directory (a default plugin dir, so
    /// `make run` and the tour have it) and takes its lock: one kernel per home.
    private func prepareHome() throws {
        try Kernel.makeDirectories(configuration.home, mode: 0o700)
        try Kernel.makeDirectories(configuration.home + "/plugins", mode: 0o700)
        let lockPath = configuration.home + "/mcpk.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KernelError.unavailable("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buf, buf.count)
            close(fd)
            let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters() : "?"
            throw KernelError.conflict("another kernel (pid \(holder)) is already running on home \(configuration.home)")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        lockFD = fd
    }

    /// Hook point for the services of later layers (store, plugins, sandbox, engine, HTTP).
    private func startServices() async throws {
        for step in Kernel.startupSteps {
            try await step(self)
        }
    }

    /// Start-up steps contributed by service areas, run in order by `start()`.
    nonisolated(unsafe) public static var startupSteps: [@KernelActor (Kernel) async throws -> Void] = []

    private func installSignalHandlers() throws {
        for signum in [SIGINT, SIGTERM] {
            let s = try Signal(loop: KernelRuntime.loop)
            try s.start(signum) { [weak self] n in
                KernelActor.assumeIsolated {
                    guard let self else { return }
                    self.logger.info("signal received, stopping", metadata: ["signal": "\(n)"])
                    Task { @KernelActor in await self.shutdown() }
                }
            }
            signals.append(s)
        }
        // A client that vanishes mid-write must not kill the kernel.
        signal(SIGPIPE, SIG_IGN)
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
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
