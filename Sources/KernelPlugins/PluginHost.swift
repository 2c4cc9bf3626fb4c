import Glibc
import KernelCore
import KernelLoop
import Logging

/// Discovers, loads, unloads and reloads plugins; hands out connector
/// connections and calls extra operations. Lives on the loop (`KernelActor`);
/// every plugin call runs off the loop on a dedicated worker thread or in a
/// plugin-host child.
@KernelActor
public final class PluginHost {
    final class Entry {
        let path: String
        var name: String
        var isolation: PluginIsolation
        var state: PluginState
        var backend: PluginBackend?
        var loadError: PluginLoadError?
        var crashes = 0
        var lastCrash: String?
        var restartAttempt = 0
        var startedAt: Int64 = 0
        var generation = 0
        var connections: [ObjectIdentifier: PluginConnection] = [:]
        var opWorker: WorkerThread?
        /// Executor leases held by running steps.
        var leases: [ObjectIdentifier: ExecutorLease] = [:]
        /// Order of loading (executor routing: the most recent wins).
        var loadSequence = 0
        /// A force-unloaded backend kept until its last lease is released.
        var retiredBackend: PluginBackend?
        /// The init symbol of an ADBC driver library (state adbc_driver).
        var adbcEntryPoint: String?
        /// The private copy the library was last loaded from (`PluginLibraryCopy`), or `path`.
        var loadedFrom: String?

        init(path: String, name: String, isolation: PluginIsolation, state: PluginState) {
            self.path = path
            self.name = name
            self.isolation = isolation
            self.state = state
        }

        var info: PluginInfo {
            PluginInfo(name: name, path: path, isolation: isolation, state: state, metadata: backend?.metadata,
                       loadError: loadError, crashes: crashes, lastCrash: lastCrash, openConnections: connections.count,
                       adbcEntryPoint: adbcEntryPoint)
        }
    }

    public let configuration: PluginHostConfiguration
    public let logger: Logger
    /// Receives plugin-level events from `mcpk_host.emit_event`, on the loop.
    public var onEvent: (@KernelActor (String, String, JSON) -> Void)?
    private var entries: [Entry] = []
    private var loadCounter = 0
    private let loader = WorkerThread(name: "mcpk-plugin-loader")

    public init(configuration: PluginHostConfiguration, logger: Logger = Logger(label: "mcpk.plugins")) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: discovery and life cycle

    /// Loads every `*.so` found in the plugin directories that is not loaded yet,
    /// except the fixtures (`PluginHostConfiguration.fixtureLibraries`), which
    /// load only by path. Failures are recorded (see `list()`) and never thrown.
    @discardableResult
    public func discover() async -> [PluginInfo] {
        for dir in configuration.directories {
            for path in PluginHost.sharedObjects(in: dir) where !entries.contains(where: { $0.path == path && $0.state != .unloaded }) {
                if configuration.unloadedPaths.contains(path) {
                    logger.info("plugin unloaded by the operator: not loaded (plugin.load it to load it again)", metadata: ["path": "\(path)"])
                    continue
                }
                if configuration.fixtureLibraries.contains(PluginHost.libraryStem(path)) {
                    logger.debug("fixture plugin not loaded by discovery (plugin.load it by path)", metadata: ["path": "\(path)"])
                    continue
                }
                do { _ = try await load(path: path) } catch {
                    logger.warning("plugin not loaded", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
        }
        return list()
    }

    nonisolated static func sharedObjects(in dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".so") && !name.hasPrefix(".") { out.append(dir + "/" + name) }
        }
        return out.sorted()
    }

    /// A library's file name without directory, `lib` and `.so` (`mcpk-postgres`).
    public nonisolated static func libraryStem(_ path: String) -> String {
        var file = String(path.split(separator: "/").last ?? "")
        if file.hasPrefix("lib") { file.removeFirst(3) }
        if file.hasSuffix(".so") { file.removeLast(3) }
        return file
    }

    private func isolation(for path: String) -> PluginIsolation {
        configuration.isolationOverrides[PluginHost.libraryStem(path)] ?? configuration.defaultIsolation
    }

    /// Loads one library. A failure is recorded as a `failed` entry with its
    /// reason and thrown as `invalid_params` (or `conflict` for a duplicate name).
    public func load(path: String, isolation requested: PluginIsolation? = nil) async throws -> PluginInfo {
        let isolation = requested ?? isolation(for: path)
        let fileName = String(path.split(separator: "/").last ?? Substring(path))
        entries.removeAll { $0.path == path && !$0.state.isActive }
        let entry = Entry(path: path, name: fileName, isolation: isolation, state: .failed)
        do {
            let backend = try await start(entry: entry)
            if let existing = entries.first(where: { $0.name == backend.metadata.name && $0.state.isActive }) {
                let b = backend
                _ = try? await loader.run { b.shutdown() }
                throw KernelError.conflict("a plugin named \(backend.metadata.name) is already loaded from \(existing.path)")
            }
            install(backend, in: entry)
            entries.append(entry)
            logger.info("plugin loaded", metadata: ["name": "\(entry.name)", "path": "\(path)", "copy": "\(entry.loadedFrom ?? path)",
                                                    "isolation": "\(isolation.rawValue)"])
            return entry.info
        } catch PluginLoadError.adbcDriver(let symbol) {
            // An ADBC driver: listed (state adbc_driver), served through the adbc bridge.
            entry.state = .adbcDriver
            entry.adbcEntryPoint = symbol
            entries.append(entry)
            logger.info("ADBC driver found", metadata: ["path": "\(path)", "entrypoint": "\(symbol)"])
            return entry.info
        } catch let e as PluginLoadError {
            entry.loadError = e
            entries.append(entry)
            throw KernelError.invalidParams("cannot load plugin \(path): \(e.description)")
        }
    }

    func entriesSnapshot() -> [Entry] { entries }

    private func install(_ backend: PluginBackend, in entry: Entry) {
        loadCounter += 1
        entry.loadSequence = loadCounter
        entry.backend = backend
        entry.name = backend.metadata.name
        entry.state = .loaded
        entry.loadError = nil
        entry.startedAt = MonotonicClock.wholeMilliseconds()
        if entry.opWorker == nil { entry.opWorker = WorkerThread(name: "mcpk-plugin-\(backend.metadata.name)") }
    }

    /// Starts the entry's backend from a fresh private copy of its library, or (`restart`, a
    /// crashed plugin-host child) from the copy it ran before, whatever the original holds now.
    private func start(entry: Entry, restart: Bool = false) async throws -> PluginBackend {
        let original = entry.path
        let cache = configuration.libraryCache
        let previous = restart ? entry.loadedFrom : nil
        // The private copy (off the loop): the original may be overwritten while the copy is mapped.
        let path = try await runLoad {
            if let previous, access(previous, R_OK) == 0 { return previous }
            return try cache.map { try PluginLibraryCopy.privateCopy(of: original, cache: $0) } ?? original
        }
        entry.loadedFrom = path
        entry.generation += 1
        let generation = entry.generation
        switch entry.isolation {
        case .inProcess:
            let context = HostContext(name: entry.name) { [weak self] plugin, type, payload in
                Task { @KernelActor in self?.onEvent?(plugin, type, payload) }
            }
            let library = try await runLoad { try PluginLibrary.load(path: path, context: context) }
            return InProcessBackend(library: library)
        case .process:
            let command = configuration.childCommand
            return try await runLoad {
                try ProcessBackend.start(path: path, command: command, generation: generation) { [weak self] reason in
                    Task { @KernelActor in self?.childDied(path: original, generation: generation, reason: reason) }
                }
            }
        }
    }

    private func runLoad<T>(_ body: @escaping () throws -> T) async throws -> T {
        do { return try await loader.run(body) } catch let e as PluginLoadError { throw e } catch let e as KernelError {
            throw PluginLoadError.childFailed(e.message)
        }
    }

    private func childDied(path: String, generation: Int, reason: String) {
        guard let entry = entries.first(where: { $0.path == path && $0.generation == generation && $0.state == .loaded }) else { return }
        entry.state = .crashed
        entry.crashes += 1
        entry.lastCrash = "plugin host process \(reason)"
        // Connections lived in the dead child: they are gone.
        entry.connections = [:]
        let ranFor = MonotonicClock.wholeMilliseconds() - entry.startedAt
        entry.restartAttempt = ranFor >= PluginHostConfiguration.stableRunMs ? 0 : entry.restartAttempt + 1
        logger.error("plugin host crashed", metadata: ["name": "\(entry.name)", "reason": "\(reason)"])
        scheduleRestart(entry)
    }

    private func scheduleRestart(_ entry: Entry) {
        let exp = min(entry.restartAttempt, 8)
        let delay = min(PluginHostConfiguration.restartBackoffBaseMs << UInt64(exp), PluginHostConfiguration.restartBackoffMaxMs)
        Task { @KernelActor [weak self] in
            try? await Task.sleep(nanoseconds: delay * 1_000_000)
            guard let self, entry.state == .crashed else { return }
            do {
                let backend = try await self.start(entry: entry, restart: true)
                self.install(backend, in: entry)
                self.logger.info("plugin host restarted", metadata: ["name": "\(entry.name)"])
            } catch {
                entry.restartAttempt += 1
                entry.lastCrash = "restart failed: \(error)"
                self.scheduleRestart(entry)
            }
        }
    }

    private func loadedEntry(_ name: String) throws -> Entry {
        guard let e = entries.first(where: { $0.name == name && $0.state.isActive }) else {
            throw KernelError.notFound("no plugin named \(name) is loaded")
        }
        return e
    }

    private func ready(_ name: String) throws -> (Entry, PluginBackend) {
        let e = try loadedEntry(name)
        guard e.state == .loaded, let b = e.backend else {
            throw KernelError.unavailable("plugin \(name) is \(e.state.rawValue)\(e.lastCrash.map { " (\($0))" } ?? ""); restarting")
        }
        return (e, b)
    }

    /// Unloads a plugin. Idle connections are closed; refuses while a connection is
    /// busy (`PluginConnection.isBusy`) or steps hold executor leases unless `force`,
    /// which cancels and closes the connections and stops the steps (their library
    /// stays mapped until the last lease is released).
    public func unload(name: String, force: Bool = false) async throws {
        let entry = try loadedEntry(name)
        if !entry.leases.isEmpty {
            guard force else {
                throw KernelError.conflict("plugin \(name) is running \(entry.leases.count) step(s); wait for them or pass force (which cancels them)")
            }
            for l in Array(entry.leases.values) { l.revoke("plugin \(name) was unloaded while the step ran") }
            let deadline = MonotonicClock.wholeMilliseconds() + Int64(PluginHostConfiguration.executorDrainMs)
            while !entry.leases.isEmpty && MonotonicClock.wholeMilliseconds() < deadline {
                try? await Task.sleep(nanoseconds: PluginHostConfiguration.executorDrainPollMs * 1_000_000)
            }
        }
        // Idle connections (a pool's spare ones) are closed; only busy ones hold the plugin.
        for c in Array(entry.connections.values) where await c.closeIfIdle() {
            entry.connections[ObjectIdentifier(c)] = nil
        }
        if !entry.connections.isEmpty {
            guard force else {
                throw KernelError.conflict(
                    "plugin \(name) has \(entry.connections.count) busy connection(s) (a statement runs or waits on each); "
                        + "wait for them, cancel them or pass force")
            }
            for c in Array(entry.connections.values) {
                c.cancel()
                await c.close()
            }
        }
        entry.state = .unloaded
        let backend = entry.backend
        entry.backend = nil
        entry.connections = [:]
        if let backend {
            // A child can always be stopped (its threads die with it; their calls fail
            // `unavailable`); an in-process library stays mapped while a lease is held.
            if entry.leases.isEmpty || backend is ProcessBackend {
                _ = try? await loader.run { backend.shutdown() }
            } else {
                entry.retiredBackend = backend
                logger.warning("plugin unloaded with step threads still inside it; library kept until they return",
                               metadata: ["name": "\(name)", "steps": "\(entry.leases.count)"])
            }
        }
        entry.opWorker?.stop()
        entry.opWorker = nil
        entries.removeAll { $0 === entry }
        logger.info("plugin unloaded", metadata: ["name": "\(name)"])
    }

    /// A step gave its executor lease back.
    func leaseReleased(_ lease: ExecutorLease, entry: Entry) {
        entry.leases[ObjectIdentifier(lease)] = nil
        guard entry.leases.isEmpty, let retired = entry.retiredBackend else { return }
        entry.retiredBackend = nil
        let name = entry.name
        Task { @KernelActor [loader, logger] in
            _ = try? await loader.run { retired.shutdown() }
            logger.info("retired plugin library released", metadata: ["name": "\(name)"])
        }
    }

    /// Unloads and loads again from the same path with the same isolation.
    public func reload(name: String, force: Bool = false) async throws -> PluginInfo {
        let entry = try loadedEntry(name)
        let path = entry.path, isolation = entry.isolation
        try await unload(name: name, force: force)
        return try await load(path: path, isolation: isolation)
    }

    public func list() -> [PluginInfo] { entries.map(\.info) }

    func loadedBackends() -> [PluginBackend] {
        entries.compactMap { $0.state == .loaded ? $0.backend : nil }
    }

    public func info(name: String) -> PluginInfo? { entries.first { $0.name == name }?.info }

    /// Unloads everything (kernel shutdown).
    public func shutdown() async {
        for e in entries where e.state.isActive {
            try? await unload(name: e.name, force: true)
        }
        entries = []
        loader.stop()
    }

    // MARK: calls

    /// Calls an extra operation through libffi.
    public func call(plugin: String, op: String, args: [JSON]) async throws -> JSON {
        let (entry, backend) = try ready(plugin)
        guard let worker = entry.opWorker else { throw KernelError.unavailable("plugin \(plugin) is not ready") }
        guard backend.metadata.ops.contains(where: { $0.name == op }) else {
            throw KernelError.notFound("plugin \(plugin) has no op \(op)")
        }
        do {
            return try await worker.run { try PluginCallMetrics.measure(plugin, .op) { try backend.callOp(op, args: args) } }
        } catch let f as PluginFailure { throw f.kernelError }
    }

    /// Opens a connection through a connector plugin.
    public func connect(plugin: String, config: JSON, secret: String?,
                        connectTimeoutMs: Int64 = ConnectorLimits.defaultConnectTimeoutMs) async throws -> PluginConnection {
        let (entry, backend) = try ready(plugin)
        guard backend.metadata.kinds.contains(.connector) else {
            throw KernelError.invalidParams("plugin \(plugin) is not a connector")
        }
        let worker = WorkerThread(name: "mcpk-conn-\(plugin)")
        let handle: ConnectionHandle
        do {
            handle = try await worker.run {
                try PluginCallMetrics.measure(plugin, .open) { try backend.open(config: config, secret: secret, connectTimeoutMs: connectTimeoutMs) }
            }
        } catch {
            worker.stop()
            if let f = error as? PluginFailure { throw f.kernelError }
            throw error
        }
        let conn = PluginConnection(plugin: plugin, backend: backend, handle: handle, worker: worker) { [weak self] c in
            Task { @KernelActor in self?.forget(c, plugin: plugin) }
        }
        if entry.state == .loaded && entry.backend === backend {
            entry.connections[ObjectIdentifier(conn)] = conn
        }
        return conn
    }

    private func forget(_ c: PluginConnection, plugin: String) {
        for e in entries where e.name == plugin { e.connections[ObjectIdentifier(c)] = nil }
    }
}
