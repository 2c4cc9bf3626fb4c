/// The component types a kernel knows at one moment: the ones its loaded executor plugins
/// declare (`ComponentTypeDefinition`, ABI 1.2.0 `mcpk_component_type`). The declarations are
/// the only source of types — the bundled nine are declared by the bundled plugins the same
/// way a third-party plugin declares a new one — so adding a type takes one plugin and no
/// kernel change. Built from the plugin host on every call (`PluginHost.componentTypeDefinitions`),
/// so `plugin.load` makes a type creatable at once and `plugin.unload` makes it unknown to
/// create (existing components stay readable; their runs fail with "no executor").
public struct ComponentTypes: Sendable {
    public let declared: [ComponentType: ComponentTypeDefinition]
    /// Every known type, by name (byte order of the name): a stable order whatever the load
    /// order of the plugins, so lists, the union schema and OpenAPI do not move on a reload.
    public let names: [ComponentType]

    /// `definitions` in priority order: the first definition of a name wins.
    public init(declared definitions: [ComponentTypeDefinition]) {
        var d: [ComponentType: ComponentTypeDefinition] = [:]
        for def in definitions where d[def.name] == nil { d[def.name] = def }
        declared = d
        names = d.keys.sorted()
    }

    public func isKnown(_ type: ComponentType) -> Bool { declared[type] != nil }

    /// "valid types: Data, Jupyter Notebook, …", or why there are none.
    var validTypesText: String {
        names.isEmpty ? "no loaded executor plugin declares a component type"
            : "valid types: " + names.map(\.rawValue).joined(separator: ", ")
    }

    /// "unknown component type 'X'; valid types: Data, Jupyter Notebook, …"
    public func unknownTypeMessage(_ name: String) -> String {
        "unknown component type '\(name)'; " + validTypesText
    }

    /// The step inputs of `type` that may carry `${secrets.NAME}` (none for an unknown type).
    public func secretInputs(of type: ComponentType) -> [String] { declared[type]?.secretFields ?? [] }

    /// The config schema of `type` (2020-12), or nil for an unknown type.
    public func schema(of type: ComponentType) -> JSON? { declared[type].map(ComponentTypes.exported) }

    /// Every type's schema, keyed by type name in `names` order.
    public var allSchemas: JSON {
        var o = JSONObject()
        for t in names { if let s = schema(of: t) { o[t.rawValue] = s } }
        return .object(o)
    }

    /// One schema for any config: `oneOf` the known types, discriminated by `type`.
    public var unionSchema: JSON {
        var o = JSONObject()
        o["$schema"] = .string(ComponentConventions.schemaDialect)
        o["$id"] = "urn:mcpk:component-config"
        o["title"] = "Component config"
        o["type"] = "object"
        o["properties"] = .object(JSONObject([(ComponentConventions.typeField, ["enum": JSON(names.map(\.rawValue))])]))
        o["required"] = [.string(ComponentConventions.typeField)]
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
        let typeField = ComponentConventions.typeField
        var o = d.schema.objectValue ?? JSONObject()
        var out = JSONObject()
        out["$schema"] = o["$schema"] ?? .string(ComponentConventions.schemaDialect)
        out["$id"] = o["$id"] ?? .string("urn:mcpk:component-config:" + d.name.rawValue.lowercased().replacingSpaces())
        out["title"] = o["title"] ?? .string(d.name.rawValue)
        out["description"] = o["description"] ?? .string(d.description)
        out["type"] = "object"
        var props = JSONObject()
        props[typeField] = ["const": .string(d.name.rawValue), "title": "Type"]
        for (k, v) in o["properties"]?.objectValue ?? JSONObject() where k != typeField { props[k] = v }
        out["properties"] = .object(props)
        var required = [JSON.string(typeField)]
        for r in o["required"]?.arrayValue ?? [] where r != .string(typeField) { required.append(r) }
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
        let typeField = ComponentConventions.typeField
        guard case .object(let o) = config else { return (nil, nil, [FieldError(path, "must be an object")]) }
        let typePath = FieldDefinition.join(path, typeField)
        let type: ComponentType
        switch o[typeField] {
        case nil, .null?:
            return (nil, nil, [FieldError(typePath, "is required; " + validTypesText)])
        case .string(let s)?:
            type = ComponentType(s)
        default:
            return (nil, nil, [FieldError(typePath, "must be a string")])
        }
        guard let d = declared[type], let spec = ComponentTypes.exported(d).objectValue else {
            return (nil, nil, [FieldError(typePath, unknownTypeMessage(type.rawValue))])
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
        out[typeField] = .string(type.rawValue)
        for (name, _) in compiled.properties where name != typeField { if let v = f[name] { out[name] = v } }
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

extension String {
    func replacingSpaces() -> String { String(map { $0 == " " ? "-" : $0 }) }
}
