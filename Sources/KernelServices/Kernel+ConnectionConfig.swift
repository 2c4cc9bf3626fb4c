import KernelCore
import KernelPlugins

extension Kernel {
    /// `connection.create` / `update` (issue 13): the plugin must be a known connector, and the
    /// config must satisfy its `config_schema_json`, every error at once with its path
    /// (`config.port: must be integer`); a key the schema does not declare is refused unless the
    /// schema allows others (`additionalProperties`). Without a plugin host (a store-only kernel)
    /// nothing is checked.
    package func checkConnectionConfig(plugin: String, config: JSON) throws {
        guard let host = plugins else { return }
        guard let info = host.info(name: plugin), let metadata = info.metadata, metadata.kinds.contains(.connector) else {
            let known = host.list().filter { $0.metadata?.kinds.contains(.connector) == true }.map(\.name).sorted()
            throw KernelError.invalidParams("invalid params", errors: [FieldError("plugin",
                "no connector plugin named '\(plugin)' is loaded (connectors: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")])
        }
        guard let schemaJSON = metadata.configSchema else { return }
        let (compiled, problems) = JSONSchema.compile(schemaJSON, path: "config_schema")
        guard let schema = compiled, problems.isEmpty else {
            throw KernelError.invalidParams("connector \(plugin) declares a config schema the kernel cannot use", errors: problems)
        }
        var errors = schema.validate(config, path: "config")
        if schema.additionalProperties == nil, schema.declaresProperties, let o = config.objectValue {
            for key in o.keys where schema.property(key) == nil {
                errors.append(FieldError("config." + key, "unknown key for connector \(plugin) (known: \(schema.properties.map(\.name).joined(separator: ", ")))"))
            }
        }
        if !errors.isEmpty { throw KernelError.invalidParams("invalid params", errors: errors) }
    }
}
