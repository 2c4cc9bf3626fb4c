import Glibc
import KernelCore
import KernelEngine
import KernelLoop
import KernelPlugins
import KernelSandbox
import KernelStore

extension Kernel {
    /// Probes the sandbox, builds the executor table and starts the run engine (which
    /// recovers the runs this home's kernel held). Stopped before the store closes.
    package func startEngine() async throws {
        let store = try requireStore()
        var maxSteps: Int?
        if let raw = configuration.settings["MCPK_MAX_CONCURRENT_STEPS"] {
            guard let n = Int(raw), n >= 1 else {
                throw KernelError.invalidParams("MCPK_MAX_CONCURRENT_STEPS must be a positive integer (got '\(raw)')")
            }
            maxSteps = n
        }
        let runners = try RunnerSettings.from(configuration.settings, stepConcurrency: maxSteps)
        // Every sandbox setting (MCPK_SANDBOX, MCPK_CGROUP_ROOT, MCPK_PYTHON_RUNTIME, …) from the
        // resolved configuration: flags > environment > .env > defaults.
        let sandbox = Sandbox(configuration: SandboxConfiguration(home: configuration.home, settings: configuration.settings,
                                                                  runners: runners))
        let report = await sandbox.probe()
        self.sandbox = sandbox
        addStatus("sandbox") { [weak sandbox] in sandbox?.reportJSON ?? .null }
        addStatus("runners") { [weak sandbox] in sandbox?.runners.report ?? .null }
        onShutdown("runners") { [weak sandbox] in sandbox?.runners.shutdown() }
        if !report.ready {
            logger.warning("sandbox not ready: process steps will be refused", metadata: ["problems": "\(report.problems)"])
        }
        let executors = ExecutorRegistry()
        // Every component type is served by an executor plugin (Plugins/*: python, typescript,
        // notebook, streamlit, mcp, llm, utility, output, data).
        try installPluginExecutors(executors, sandbox: sandbox)
        let adapter = StoreRunStore(store: store, logger: logger)
        var leaseMs = EngineLimits.leaseMilliseconds
        if let raw = configuration.settings[Kernel.runLeaseVariable] {
            guard let n = Int64(raw), n >= EngineLimits.minLeaseMilliseconds else {
                throw KernelError.invalidParams(
                    "\(Kernel.runLeaseVariable) must be an integer of at least \(EngineLimits.minLeaseMilliseconds) (got '\(raw)')")
            }
            leaseMs = n
        }
        let grace = try Kernel.shutdownGraceMilliseconds(configuration.settings[Kernel.shutdownGraceVariable])
        let values = try makeValueSpool(store)
        let engine = RunEngine(
            configuration: .init(home: configuration.home, owner: try Kernel.homeOwnerID(configuration.home), maxConcurrentSteps: maxSteps,
                                 leaseMilliseconds: leaseMs),
            store: adapter, catalog: adapter, executors: executors, logger: logger, values: values)
        if let postgres = store as? PostgresStore {
            // Several kernels may share this store: one queue, NOTIFY wake-ups, events across kernels.
            engine.queue = adapter
            engine.identity = KernelIdentity(host: Kernel.hostName(), version: Kernel.version)
            let listener = PostgresListener(conninfo: postgres.postgres.conninfo)
            listener.onNotification = { [weak engine] channel, payload in
                guard let engine else { return }
                if channel == SQLStore.queueChannel { engine.queueNotified(payload) } else if channel == SQLStore.eventsChannel {
                    engine.eventsNotified(payload)
                }
            }
            // Notifications sent while the listener was away are lost: re-read what they would have said.
            listener.onConnected = { [weak engine] in
                engine?.queueNotified("")
                engine?.readAllRemoteRuns()
            }
            listener.start()
            self.listener = listener
            addStatus("cluster") { [weak listener, weak engine] in
                ["listener": listener?.statusSection ?? .null, "claimed_runs": JSON(engine?.claimedCount ?? 0)]
            }
            onShutdown("listener") { [weak self] in
                self?.listener?.stop()
                self?.listener = nil
            }
        }
        if let sql = store as? SQLStore { engine.stepCache = StoreStepCache(store: sql) }
        if let endpoint = configuration.redis {
            // Optional: run events also fanned out through Redis pub/sub, step result cache entries there.
            let redis = RedisService(endpoint: endpoint)
            engine.attachRedis(redis)
            engine.stepCache = RedisStepCache(redis: redis)
            redis.start()
            addStatus("redis") { [weak redis, weak engine] in
                guard let redis, case .object(var o) = redis.statusSection else { return RedisService.notConfiguredSection }
                o["events"] = engine?.redisEventsJSON ?? .null
                return .object(o)
            }
            onShutdown("redis") { [weak redis] in redis?.stop() }
        } else {
            addStatus("redis") { RedisService.notConfiguredSection }
        }
        try await engine.start()
        self.engine = engine
        try startRetention(engine, store: store)
        addStatus("engine") { [weak engine] in
            guard let engine else { return .null }
            return ["owner": .string(engine.configuration.owner), "max_concurrent_steps": JSON(engine.configuration.maxConcurrentSteps),
                    "lease_ms": .int(engine.configuration.leaseMilliseconds), "lease_lapsed": .bool(engine.leaseLapsedNow),
                    "takeovers": JSON(engine.takeoverCount),
                    "active_runs": JSON(engine.activeRunCount), "queued_runs": JSON(engine.queuedRunCount),
                    "running_steps": JSON(engine.runningStepCount), "subscribers": JSON(engine.journal.subscriberCount),
                    "cache": engine.stepCacheJSON,
                    "executors": .object(JSONObject(executors.routes.sorted { $0.key.rawValue < $1.key.rawValue }
                        .map { ($0.key.rawValue, JSON.string($0.value)) })),
                    "timings_ms": ["dispatch": .double(engine.timings.dispatchMs), "execution": .double(engine.timings.executionMs),
                                   "transition": .double(engine.timings.transitionMs), "attempts": JSON(engine.timings.attempts)]]
        }
        onDrain("engine") { [weak self, weak engine] in
            guard let engine else { return }
            self?.drainReport = await engine.drain(graceMilliseconds: grace)
        }
        onShutdown("engine") { [weak self, weak engine] in
            await engine?.stop()
            engine?.values?.close()
            self?.engine = nil
        }
    }

    /// This machine's host name (`cluster.status`).
    package static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        let n = Int(strlen(buf))
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Setting: lease of a run claim in ms (default `EngineLimits.leaseMilliseconds`).
    nonisolated static let runLeaseVariable = "MCPK_RUN_LEASE_MS"

    /// Setting: how long SIGTERM waits for running steps, in seconds (default
    /// `EngineLimits.shutdownGraceMilliseconds`, 30 s; `0` interrupts them at once).
    nonisolated static let shutdownGraceVariable = "MCPK_SHUTDOWN_GRACE"

    /// `MCPK_SHUTDOWN_GRACE`: seconds (`30`, `2.5`, or with an `s` suffix) up to
    /// `EngineLimits.maxShutdownGraceMilliseconds`.
    static func shutdownGraceMilliseconds(_ raw: String?) throws -> UInt64 {
        guard let raw, !raw.isEmpty else { return EngineLimits.shutdownGraceMilliseconds }
        let digits = raw.hasSuffix("s") ? String(raw.dropLast()) : raw
        let maxSeconds = Double(EngineLimits.maxShutdownGraceMilliseconds) / 1000
        guard let seconds = Double(digits), seconds.isFinite, seconds >= 0, seconds <= maxSeconds else {
            throw KernelError.invalidParams(
                "\(shutdownGraceVariable) must be a number of seconds from 0 to \(Int(maxSeconds)) (EngineLimits.maxShutdownGraceMilliseconds; got '\(raw)')")
        }
        return UInt64((seconds * 1000).rounded())
    }

    /// The engine or `unavailable`.
    public func requireEngine() throws -> RunEngine {
        guard let engine else { throw KernelError.unavailable("the run engine is not running") }
        return engine
    }

    /// A stable id for the kernel of one home (`$MCPK_HOME/kernel-id`): a restarted kernel
    /// recognises the runs it owned; kernels with other homes on one PostgreSQL do not.
    static func homeOwnerID(_ home: String) throws -> String {
        let path = home + "/kernel-id"
        if let bytes = try? WholeFile.bytes(path, limit: 256, regularFileOnly: true) {
            let id = String(decoding: bytes, as: UTF8.self).trimmingCharacters()
            if !id.isEmpty { return id }
        }
        let id = "kernel-" + Identifier.uuid()
        guard ArtifactNames.writeFile(path, Array((id + "\n").utf8)) else {
            throw KernelError.unavailable("cannot write \(path)")
        }
        return id
    }
}
