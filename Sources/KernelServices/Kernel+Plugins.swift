import Glibc
import KernelConnections
import KernelCore
import KernelLoop
import KernelPlugins

extension Kernel {
    /// Isolation settings: `MCPK_PLUGIN_ISOLATION=process` (all plugins) or
    /// `default=in-process,testops=process` (per plugin file or name).
    public nonisolated static let pluginIsolationVariable = "MCPK_PLUGIN_ISOLATION"

    nonisolated static func pluginIsolation(_ setting: String?) -> (PluginIsolation, [String: PluginIsolation]) {
        guard let raw = setting, !raw.isEmpty else { return (.inProcess, [:]) }
        var def = PluginIsolation.inProcess
        var overrides: [String: PluginIsolation] = [:]
        for part in raw.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
            if kv.count == 1, let i = PluginIsolation(rawValue: kv[0]) { def = i }
            if kv.count == 2, let i = PluginIsolation(rawValue: kv[1]) {
                if kv[0] == "default" { def = i } else { overrides[kv[0]] = i }
            }
        }
        return (def, overrides)
    }

    /// Start-up: create the plugin host and load every plugin found in the
    /// plugin dirs. A broken plugin is reported (plugin.list) and skipped; a bad
    /// `MCPK_CONNECTION_POOL_SIZE` stops the start with its error.
    package func startPlugins() async throws {
        let poolSize = try ConnectionRuntime.poolSize(configuration.settings[ConnectionRuntime.poolSizeVariable])
        let (def, overrides) = Kernel.pluginIsolation(configuration.settings[Kernel.pluginIsolationVariable])
        var hostConfiguration = PluginHostConfiguration(directories: configuration.pluginDirs, defaultIsolation: def,
                                                        isolationOverrides: overrides)
        hostConfiguration.libraryCache = configuration.home + "/plugin-cache"
        do {
            hostConfiguration.unloadedPaths = try UnloadedPlugins(home: configuration.home).paths()
        } catch {
            logger.warning("the record of unloaded plugins is unreadable: every plugin found is loaded", metadata: ["error": "\(error)"])
        }
        let host = PluginHost(configuration: hostConfiguration, logger: logger)
        plugins = host
        host.onEvent = { [weak self] plugin, type, payload in
            self?.logger.info("plugin event", metadata: ["plugin": "\(plugin)", "type": "\(type)", "payload": "\(payload.serialized())"])
            self?.pluginEvents.publish(plugin: plugin, type: type, payload: payload)
        }
        let list = await host.discover()
        if let store {
            connectionRuntime = ConnectionRuntime(host: host, store: store, poolSize: poolSize)
        }
        onShutdown("plugins") { [weak self] in
            await self?.connectionRuntime?.closeAll()
            await host.shutdown()
        }
        addStatus("plugins") { [weak self] in
            var loaded: Int64 = 0, failed: Int64 = 0, crashed: Int64 = 0
            for item in self?.plugins?.list() ?? [] {
                switch item.state {
                case .loaded: loaded += 1
                case .failed: failed += 1
                case .crashed: crashed += 1
                default: break
                }
            }
            return ["loaded": .int(loaded), "failed": .int(failed), "crashed": .int(crashed)]
        }
        logger.info("plugins discovered", metadata: [
            "loaded": "\(list.filter { $0.state == .loaded }.map(\.name))",
            "failed": "\(list.filter { $0.state == .failed }.count)"])
    }

    public func requirePlugins() throws -> PluginHost {
        guard let plugins else { throw KernelError.unavailable("the plugin host is not running") }
        return plugins
    }

    package func requireConnectionRuntime() throws -> ConnectionRuntime {
        guard let connectionRuntime else { throw KernelError.unavailable("connections are not available (no store)") }
        return connectionRuntime
    }

    /// Runs SQL through a stored connection (for Data steps and the step
    /// channel's `query`): the connector plugin does the work off the loop.
    public func queryConnection(_ idOrName: String, sql: String, params: [JSON] = [], maxRows: Int64 = ConnectorLimits.defaultMaxRows,
                                timeoutMs: Int64 = 0) async throws -> QueryResult {
        try await requireConnectionRuntime().query(idOrName, QueryRequest(sql: sql, params: params, maxRows: maxRows, timeoutMs: timeoutMs))
    }
}
