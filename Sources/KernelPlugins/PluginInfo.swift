import KernelCore

/// One row of `plugin.list`.
public struct PluginInfo: Sendable, Equatable {
    public var name: String
    public var path: String
    public var isolation: PluginIsolation
    public var state: PluginState
    public var metadata: PluginMetadata?
    public var loadError: PluginLoadError?
    public var crashes: Int
    public var lastCrash: String?
    public var openConnections: Int
    /// For an ADBC driver library (state adbc_driver): its init symbol.
    public var adbcEntryPoint: String? = nil

    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        o["version"] = JSON(metadata?.version)
        o["description"] = JSON(metadata?.description)
        o["kinds"] = JSON(metadata?.kinds.names ?? [])
        o["abi"] = JSON(metadata.map { PluginABI.describe($0.abiVersion) })
        o["path"] = .string(path)
        o["isolation"] = .string(isolation.rawValue)
        o["state"] = .string(state.rawValue)
        o["load_error"] = loadError?.json ?? .null
        o["crashes"] = .int(Int64(crashes))
        o["last_crash"] = JSON(lastCrash)
        o["open_connections"] = .int(Int64(openConnections))
        o["ops"] = .array((metadata?.ops ?? []).map { ["name": .string($0.name), "signature": .string($0.signature),
                                                        "description": JSON($0.description)] })
        o["component_types"] = JSON(metadata?.componentTypes ?? [])
        o["config_schema"] = metadata?.configSchema ?? .null
        if let adbcEntryPoint {
            // How to use it: a connection of the bundled adbc bridge naming this driver.
            o["adbc"] = ["entrypoint": .string(adbcEntryPoint),
                         "connection": ["plugin": "adbc", "config": ["driver": .string(path)]]]
        }
        return .object(o)
    }
}
