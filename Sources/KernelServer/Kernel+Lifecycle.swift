import CKernelSupport
import Glibc
import KernelCore
import KernelLoop
import KernelMethods
import KernelServices
import KernelTransport

/// The kernel's lifecycle: the wiring at the top of the module graph. `start()` opens the
/// services (KernelServices), registers the control methods (KernelMethods) on the dispatcher
/// (KernelDispatch) and starts the transports (KernelTransport); `shutdown()` (KernelServices)
/// undoes it.
extension Kernel {
    /// Starts every service, then the transports. Throws with a clear message
    /// if the home is in use by another kernel.
    public func start() async throws {
        guard phase == .created else { return }
        phase = .starting
        let t0 = MonotonicClock.milliseconds()
        try startLoopWatchdog()
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

    /// `MCPK_LOOP_WATCHDOG_MS` / `MCPK_LOOP_WATCHDOG_ABORT` as the configuration resolves them
    /// (so `.env` and flags set them too); a malformed threshold refuses start-up naming it.
    func startLoopWatchdog() throws {
        guard let raw = configuration.settings[LoopWatchdog.thresholdSetting], !raw.isEmpty else { return }
        guard let ms = UInt64(raw) else {
            throw KernelError.invalidParams("\(LoopWatchdog.thresholdSetting) must be a number of milliseconds (got '\(raw)')")
        }
        KernelRuntime.executor.startWatchdog(thresholdMs: ms, abortOnStall: configuration.settings[LoopWatchdog.abortSetting] == "1")
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
}
