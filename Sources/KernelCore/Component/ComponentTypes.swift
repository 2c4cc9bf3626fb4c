/// The component types a kernel knows at one moment: the built-in config specs of the
/// bundled types (`ComponentSpec.for`) and the types loaded executor plugins declare
/// (`ComponentTypeDefinition`). A declared schema wins over a built-in spec of the same
/// name. Built from the plugin host on every call (`PluginHost.componentTypeDefinitions`),
/// so `plugin.load` makes a type creatable at once and `plugin.unload` makes it unknown
/// to create (existing components stay readable; their runs fail with "no executor").
public struct ComponentTypes: Sendable {
    public let declared: [ComponentType: ComponentTypeDefinition]
    /// Declared types in declaration order (bundled ones excluded).
    let declaredOrder: [ComponentType]

    /// `definitions` in priority order: the first definition of a name wins.
    public init(declared definitions: [ComponentTypeDefinition]) {
        var d: [ComponentType: ComponentTypeDefinition] = [:]
        var order: [ComponentType] = []
        for def in definitions where d[def.name] == nil {
            d[def.name] = def
            if ComponentSpec.for(def.name) == nil { order.append(def.name) }
        }
        declared = d
        declaredOrder = order.sorted()
    }

    /// Only the built-in specs (no plugin host).
    public static let builtIn = ComponentTypes(declared: [])

    /// Every known type: the bundled ones in catalogue order, then the declared ones by name.
    public var names: [ComponentType] { ComponentType.bundled + declaredOrder }

    public func isKnown(_ type: ComponentType) -> Bool { declared[type] != nil || ComponentSpec.for(type) != nil }

    /// "unknown component type 'X'; valid types: LLM Prompt Agent, …"
    public func unknownTypeMessage(_ name: String) -> String {
        "unknown component type '\(name)'; valid types: " + names.map(\.rawValue).joined(separator: ", ")
    }

    /// The step inputs of `type` that may carry `${secrets.NAME}`.
    public func secretInputs(of type: ComponentType) -> [String] {
        declared[type]?.secretFields ?? ComponentSpec.secretInputs(of: type)
    }

    /// The config schema of `type` (2020-12), or nil for an unknown type.
    public func schema(of type: ComponentType) -> JSON? {
        if let d = declared[type] { return ComponentTypes.exported(d) }
        return ComponentSpec.for(type)?.jsonSchema
    }

    /// Every type's schema, keyed by type name in `names` order.
    public var allSchemas: JSON {
        var o = JSONObject()
        for t in names { if let s = schema(of: t) { o[t.rawValue] = s } }
        return .object(o)
    }

    /// One schema for any config: `oneOf` the known types, discriminated by `type`.
    public var unionSchema: JSON {
        var o = JSONObject()
        o["$schema"] = .string(ComponentSpec.schemaDialect)
        o["$id"] = "urn:mcpk:component-config"
        o["title"] = "Component config"
        o["type"] = "object"
        o["properties"] = ["type": ["enum": JSON(names.map(\.rawValue))]]
        o["required"] = ["type"]
        o["oneOf"] = .array(names.compactMap { t in
            guard var s = schema(of: t)?.objectValue else { return nil }
            s["$schema"] = nil
            return .object(s)
        })
        return .object(o)
    }

    /// A declared schema as `component.schema` returns it: the dialect, an id and title,
    /// the `type` discriminator and the secret-input annotation filled in when absent.
    static func exported(_ d: ComponentTypeDefinition) -> JSON {
        var o = d.schema.objectValue ?? JSONObject()
        var out = JSONObject()
        out["$schema"] = o["$schema"] ?? .string(ComponentSpec.schemaDialect)
        out["$id"] = o["$id"] ?? .string("urn:mcpk:component-config:" + d.name.rawValue.lowercased().replacingSpaces())
        out["title"] = o["title"] ?? .string(d.name.rawValue)
        out["description"] = o["description"] ?? .string(d.description)
        out["type"] = "object"
        var props = JSONObject()
        props[ComponentSpec.typeField] = ["const": .string(d.name.rawValue), "title": "Type"]
        for (k, v) in o["properties"]?.objectValue ?? JSONObject() where k != ComponentSpec.typeField { props[k] = v }
        out["properties"] = .object(props)
        var required = [JSON.string(ComponentSpec.typeField)]
        for r in o["required"]?.arrayValue ?? [] where r != .string(ComponentSpec.typeField) { required.append(r) }
        out["required"] = .array(required)
        out["additionalProperties"] = o["additionalProperties"] ?? false
        out["x-mcpk-secret-inputs"] = JSON(d.secretFields)
        out["x-mcpk-plugin"] = .string(d.plugin)
        out["x-mcpk-execution"] = .string(d.execution.rawValue)
        for key in ["$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties"] { o[key] = nil }
        for (k, v) in o where out[k] == nil { out[k] = v }
        return .object(out)
    }

    /// Validates a config and returns its type, its normalised form (type first, then the
    /// fields in schema order with defaults applied) and every error found, with paths.
    public func validate(_ config: JSON, path: String = "config") -> (type: ComponentType?, normalized: JSON?, errors: [FieldError]) {
        guard case .object(let o) = config else { return (nil, nil, [FieldError(path, "must be an object")]) }
        let typePath = FieldDefinition.join(path, ComponentSpec.typeField)
        let type: ComponentType
        switch o[ComponentSpec.typeField] {
        case nil, .null?:
            return (nil, nil, [FieldError(typePath, "is required; valid types: " + names.map(\.rawValue).joined(separator: ", "))])
        case .string(let s)?:
            type = ComponentType(s)
            guard isKnown(type) else { return (nil, nil, [FieldError(typePath, unknownTypeMessage(s))]) }
        default:
            return (nil, nil, [FieldError(typePath, "must be a string")])
        }
        guard let d = declared[type], let spec = ComponentTypes.exported(d).objectValue else {
            return ComponentSpec.validate(config, path: path)
        }
        let (compiled, schemaErrors) = JSONSchema.compile(.object(spec), path: "plugin \(d.plugin): config_schema")
        guard let compiled else { return (type, nil, schemaErrors) }
        let filled = compiled.normalized(compiled.applyingDefaults(config))
        var errors = compiled.validate(filled, path: path)
        for name in d.secretFields where o[name].map({ !$0.isNull }) ?? false {
            errors.append(FieldError(FieldDefinition.join(path, name),
                                     "is a secret of \(type.rawValue): pass it as the step input '\(name)' (`${secrets.NAME}`), never in the config"))
        }
        guard errors.isEmpty, case .object(let f) = filled else { return (type, nil, errors) }
        var out = JSONObject()
        out[ComponentSpec.typeField] = .string(type.rawValue)
        for (name, _) in compiled.properties where name != ComponentSpec.typeField { if let v = f[name] { out[name] = v } }
        for (k, v) in f where out[k] == nil { out[k] = v }
        return (type, .object(out), [])
    }

    /// Validates and normalises, throwing `invalid_params` with all errors.
    public func normalize(_ config: JSON, path: String = "config") throws -> (type: ComponentType, config: JSON) {
        let r = validate(config, path: path)
        guard let type = r.type, let normalized = r.normalized, r.errors.isEmpty else {
            throw KernelError.invalidParams("invalid component config", errors: r.errors)
        }
        return (type, normalized)
    }
}
