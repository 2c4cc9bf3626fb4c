import KernelCore

/// What a plugin declared at init (copied out of `mcpk_plugin`).
public struct PluginMetadata: Sendable, Equatable {
    public struct Op: Sendable, Equatable {
        public var name: String
        public var signature: String
        public var description: String?
    }

    public var name: String
    public var version: String
    public var description: String?
    public var kinds: PluginKinds
    public var abiVersion: UInt32
    public var configSchema: JSON?
    public var ops: [Op]
    public var componentTypes: [String]
    /// The types declared with a schema (ABI 1.2.0 `type_defs`); a subset of `componentTypes` by name.
    public var componentTypeDefinitions: [ComponentTypeDefinition]

    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        o["version"] = .string(version)
        o["description"] = JSON(description)
        o["kinds"] = JSON(kinds.names)
        o["abi"] = .string(PluginABI.describe(abiVersion))
        o["abi_version"] = .int(Int64(abiVersion))
        o["config_schema"] = configSchema ?? .null
        o["ops"] = .array(ops.map { ["name": .string($0.name), "signature": .string($0.signature),
                                      "description": JSON($0.description)] })
        o["component_types"] = JSON(componentTypes)
        o["component_type_defs"] = .array(componentTypeDefinitions.map(\.json))
        return .object(o)
    }

    public init(json: JSON) throws {
        guard let name = json["name"]?.stringValue, let version = json["version"]?.stringValue else {
            throw KernelError.internal("plugin host child sent malformed metadata")
        }
        self.name = name
        self.version = version
        description = json["description"]?.stringValue
        kinds = PluginKinds(rawValue: UInt32(truncatingIfNeeded: json["kinds_mask"]?.intValue ?? 0))
        if kinds.isEmpty {
            var k: PluginKinds = []
            for n in json["kinds"]?.arrayValue ?? [] {
                if n.stringValue == "connector" { k.insert(.connector) }
                if n.stringValue == "executor" { k.insert(.executor) }
            }
            kinds = k
        }
        abiVersion = UInt32(truncatingIfNeeded: json["abi_version"]?.intValue ?? 0)
        configSchema = json["config_schema"].flatMap { $0.isNull ? nil : $0 }
        ops = (json["ops"]?.arrayValue ?? []).compactMap { op in
            guard let n = op["name"]?.stringValue, let s = op["signature"]?.stringValue else { return nil }
            return Op(name: n, signature: s, description: op["description"]?.stringValue)
        }
        componentTypes = (json["component_types"]?.arrayValue ?? []).compactMap { $0.stringValue }
        componentTypeDefinitions = try (json["component_type_defs"]?.arrayValue ?? []).map { d in
            guard let def = ComponentTypeDefinition(json: d) else { throw KernelError.internal("plugin host child sent a malformed component type declaration") }
            return def
        }
    }

    init(name: String, version: String, description: String?, kinds: PluginKinds, abiVersion: UInt32,
         configSchema: JSON?, ops: [Op], componentTypes: [String], componentTypeDefinitions: [ComponentTypeDefinition] = []) {
        self.name = name
        self.version = version
        self.description = description
        self.kinds = kinds
        self.abiVersion = abiVersion
        self.configSchema = configSchema
        self.ops = ops
        self.componentTypes = componentTypes
        self.componentTypeDefinitions = componentTypeDefinitions
    }
}
