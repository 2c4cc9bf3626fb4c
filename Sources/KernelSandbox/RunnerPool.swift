import Glibc
import KernelCore
import KernelLoop

/// Warm runners, one pool per (runtime and component version, sandbox profile:
/// network, declared connections, limits, binds). A step whose plan says `warm`
/// runs as a fresh fork of an idle runner of its pool; the first step of a pool
/// starts the runner and waits for it. Past the pool or kernel-wide limit, or when
/// a runner cannot start, the step runs cold (the full chain for that attempt) —
/// counted in the report, never silent.
@KernelActor
public final class RunnerPool {
    /// Which component version a runner serves (retired at once when it changes).
    public struct Owner: Sendable, Hashable {
        public var componentID: String
        public var version: Int
        public init(componentID: String, version: Int) {
            self.componentID = componentID
            self.version = version
        }
    }

    /// How often idle runners are checked against `idleSeconds`.
    static let sweepIntervalMs: UInt64 = 1_000

    public let settings: RunnerSettings
    unowned let sandbox: Sandbox
    private var pools: [String: [WarmRunner]] = [:]
    private var owners: [String: Owner] = [:]
    /// Runners to retire when their attempt ends (their component changed meanwhile).
    private var retireWhenIdle: Set<ObjectIdentifier> = []
    private var sequence = 0
    private var retired: [WarmRunner.RetireReason: Int] = [:]
    public private(set) var warmAttempts = 0
    public private(set) var runnersStarted = 0
    /// Steps that could have run warm but ran cold, by reason.
    private var coldFallbacks: [String: Int] = [:]
    private var sweepTimer: Timer?

    init(sandbox: Sandbox, settings: RunnerSettings) {
        self.sandbox = sandbox
        self.settings = settings
    }

    /// Runners may serve this sandbox at all (they need bubblewrap's pid namespace:
    /// a runner kills every other process of its namespace after each attempt).
    public var available: Bool { settings.enabled && sandbox.report.ready && sandbox.report.mode == .bubblewrap }

    public var runnerCount: Int { pools.values.reduce(0) { $0 + $1.count } }

    /// Every live runner (tests, diagnostics).
    public var allRunners: [WarmRunner] { pools.keys.sorted().flatMap { pools[$0] ?? [] } }

    /// Runs `spec` in a warm runner of its pool; nil means "run it cold" (the reason is counted).
    public func start(_ spec: StepSpec, owner: Owner?, onEvent: @escaping @KernelActor (StepEvent) -> Void,
                      onQuery: (@KernelActor (StepQuery) async throws -> JSON)?) async -> StepProcess? {
        guard available, !spec.isService else { return nil }
        let key = RunnerPool.key(spec, owner: owner)
        guard let runner = await acquire(key: key, spec: spec, owner: owner) else { return nil }
        do {
            // Off the loop: removing the last attempt's files and writing this one's (ext4 may
            // read a block bitmap from disk on a mkdir, which stalled every run of the kernel).
            let slot = runner.slot
            try await sandbox.slotFiles.run { try Sandbox.refillSlot(slot, spec: spec) }
            let work = sandbox.workDirectory(runId: spec.runId, stepId: spec.stepId, attempt: spec.attempt)
            let seen = sandbox.paths(forWorkDirectory: runner.slot)
            let attempt = try WarmProcess(runner: runner, environment: sandbox.attemptEnvironment(spec, slot: runner.slot),
                                          workingDirectory: spec.workingDirectory ?? seen.work, workDirectory: work)
            warmAttempts += 1
            Metrics.sandboxSpawns.increment(RunnerPool.spawnWarm)
            return StepProcess(spec: spec, backend: attempt, workDirectory: runner.slot, workMount: seen.work, leaf: nil,
                               onEvent: onEvent, onQuery: onQuery)
        } catch {
            runner.retire(.protocolError)
            fellBack("runner_error")
            return nil
        }
    }

    static let spawnWarm = ["outcome": "warm"]

    private func acquire(key: String, spec: StepSpec, owner: Owner?) async -> WarmRunner? {
        if let idle = pools[key]?.first(where: { $0.state == .idle }), idle.claim() { return idle }
        guard (pools[key]?.count ?? 0) < settings.maxPerPool else { fellBack("pool_full"); return nil }
        guard runnerCount < settings.maxTotal else { fellBack("kernel_limit"); return nil }
        sequence += 1
        let runner: WarmRunner
        do {
            runner = try WarmRunner(id: "r\(sequence)", poolKey: key, sandbox: sandbox, spec: spec)
        } catch {
            fellBack("start_failed")
            return nil
        }
        runnersStarted += 1
        runner.onIdle = { [weak self] r in self?.idle(r) }
        runner.onDead = { [weak self] r in self?.dead(r) }
        pools[key, default: []].append(runner)
        if let owner { owners[key] = owner }
        armSweep()
        guard await runner.ready(), runner.claim() else {
            if runner.state == .starting || runner.state == .idle { runner.retire(.failedToStart) }
            fellBack("start_failed")
            return nil
        }
        return runner
    }

    private func fellBack(_ reason: String) { coldFallbacks[reason, default: 0] += 1 }

    private func idle(_ r: WarmRunner) {
        if retireWhenIdle.remove(ObjectIdentifier(r)) != nil {
            r.retire(.componentChanged)
        } else if r.attemptsServed >= settings.maxSteps {
            r.retire(.maxSteps)
        }
    }

    private func dead(_ r: WarmRunner) {
        retired[r.retireReason ?? .died, default: 0] += 1
        retireWhenIdle.remove(ObjectIdentifier(r))
        pools[r.poolKey]?.removeAll { $0 === r }
        if pools[r.poolKey]?.isEmpty == true {
            pools[r.poolKey] = nil
            owners[r.poolKey] = nil
        }
        if pools.isEmpty {
            sweepTimer?.close()
            sweepTimer = nil
        }
    }

    /// Retires every runner of a component (its config changed or it was deleted):
    /// idle ones at once, busy ones when their attempt ends.
    public func retire(componentID: String) {
        for (key, owner) in owners where owner.componentID == componentID {
            for r in pools[key] ?? [] {
                if r.state == .busy { retireWhenIdle.insert(ObjectIdentifier(r)) } else { r.retire(.componentChanged) }
            }
        }
    }

    /// Stops every runner (kernel shutdown).
    public func shutdown() {
        for r in pools.values.flatMap({ $0 }) { r.retire(.shutdown) }
    }

    private func armSweep() {
        guard sweepTimer == nil, let t = try? Timer(loop: KernelRuntime.loop) else { return }
        sweepTimer = t
        t.ref(false)
        t.start(timeoutMs: RunnerPool.sweepIntervalMs, repeatMs: RunnerPool.sweepIntervalMs) { [weak self] in
            KernelActor.assumeIsolated { self?.sweep() }
        }
    }

    private func sweep() {
        let cutoff = Timestamp.now().milliseconds - Int64(settings.idleSeconds) * 1000
        for r in pools.values.flatMap({ $0 }) where r.state == .idle && r.idleSince < cutoff { r.retire(.idle) }
    }

    /// The pool key: everything that shapes the runner's sandbox and code, not the inputs.
    static func key(_ spec: StepSpec, owner: Owner?) -> String {
        var parts: [String] = []
        if let owner { parts.append("component=\(owner.componentID)@\(owner.version)") }
        parts.append("argv=" + ([spec.executable] + spec.arguments).joined(separator: "\u{1}"))
        parts.append("env=" + spec.environment.keys.sorted().map { "\($0)=\(spec.environment[$0] ?? "")" }.joined(separator: "\u{1}"))
        for path in spec.files.keys.sorted() {
            parts.append("file=\(path):" + SHA256.hex(spec.files[path] ?? []))
        }
        parts.append("network=\(spec.network) connections=\(spec.declaredConnections.sorted().joined(separator: ","))")
        parts.append("limits=\(spec.cpuSeconds),\(spec.memoryMb),\(spec.limitAddressSpace),\(spec.maxProcesses),\(spec.fileSizeBytes),\(spec.openFiles)")
        parts.append("binds=" + spec.readOnlyBinds.joined(separator: ",") + ";" + spec.writableBinds.joined(separator: ","))
        parts.append("mounts=" + spec.readOnlyMounts.map { $0.source + ">" + $0.destination }.joined(separator: ","))
        parts.append("cwd=" + (spec.workingDirectory ?? ""))
        return SHA256.hex(parts.joined(separator: "\n"))
    }

    /// For `dashboard.health` / `kernel.status` (`runners` section) and the console.
    public var report: JSON {
        var o = JSONObject()
        o["enabled"] = .bool(settings.enabled)
        o["available"] = .bool(available)
        o["max_steps"] = .int(Int64(settings.maxSteps))
        o["idle_seconds"] = .int(Int64(settings.idleSeconds))
        o["max_per_pool"] = .int(Int64(settings.maxPerPool))
        o["max_total"] = .int(Int64(settings.maxTotal))
        o["runners"] = .int(Int64(runnerCount))
        o["runners_started"] = .int(Int64(runnersStarted))
        o["warm_attempts"] = .int(Int64(warmAttempts))
        var fallbacks = JSONObject()
        for k in coldFallbacks.keys.sorted() { fallbacks[k] = .int(Int64(coldFallbacks[k] ?? 0)) }
        o["cold_fallbacks"] = .object(fallbacks)
        var retiredJSON = JSONObject()
        for reason in WarmRunner.RetireReason.allCases { retiredJSON[reason.rawValue] = .int(Int64(retired[reason] ?? 0)) }
        o["retired"] = .object(retiredJSON)
        var list: [JSON] = []
        for key in pools.keys.sorted() {
            let runners = pools[key] ?? []
            var p = JSONObject()
            p["key"] = .string(String(key.prefix(12)))
            if let owner = owners[key] {
                p["component_id"] = .string(owner.componentID)
                p["component_version"] = .int(Int64(owner.version))
            }
            p["size"] = .int(Int64(runners.count))
            p["warm"] = .int(Int64(runners.filter { $0.state == .idle }.count))
            p["busy"] = .int(Int64(runners.filter { $0.state == .busy }.count))
            p["starting"] = .int(Int64(runners.filter { $0.state == .starting }.count))
            p["attempts"] = .int(Int64(runners.reduce(0) { $0 + $1.attemptsServed }))
            list.append(.object(p))
        }
        o["pools"] = .array(list)
        return .object(o)
    }
}
