/// Validation of a whole component config (`{type, ...fields}`).
extension ComponentSpec {
    /// "unknown component type 'X'; valid types: LLM Prompt Agent, …"
    public static func unknownTypeMessage(_ name: String) -> String {
        ComponentTypes.builtIn.unknownTypeMessage(name)
    }

    /// Validates a config and returns its type, its normalised form (type
    /// first, then the fields in definition order with defaults applied) and
    /// every error found, each with a path rooted at `path`.
    public static func validate(_ config: JSON, path: String = "config")
        -> (type: ComponentType?, normalized: JSON?, errors: [FieldError])
    {
        guard case .object(let o) = config else { return (nil, nil, [FieldError(path, "must be an object")]) }
        let typePath = FieldDefinition.join(path, typeField)
        let type: ComponentType
        switch o[typeField] {
        case nil, .null?:
            return (nil, nil, [FieldError(typePath, "is required; valid types: "
                                            + ComponentType.bundled.map(\.rawValue).joined(separator: ", "))])
        case .string(let s)?:
            type = ComponentType(s)
        default:
            return (nil, nil, [FieldError(typePath, "must be a string")])
        }
        guard let spec = ComponentSpec.for(type) else { return (nil, nil, [FieldError(typePath, unknownTypeMessage(type.rawValue))]) }
        var errors: [FieldError] = []
        let fields = spec.validateFields(config, path: path, errors: &errors)
        guard errors.isEmpty, let fields else { return (type, nil, errors) }
        var out = JSONObject()
        out[typeField] = .string(type.rawValue)
        for (k, v) in fields { out[k] = v }
        return (type, .object(out), [])
    }

    /// Validates and normalises, throwing `invalid_params` with all errors.
    public static func normalize(_ config: JSON, path: String = "config") throws -> (type: ComponentType, config: JSON) {
        let r = validate(config, path: path)
        guard let type = r.type, let normalized = r.normalized, r.errors.isEmpty else {
            throw KernelError.invalidParams("invalid component config", errors: r.errors)
        }
        return (type, normalized)
    }

    /// Field and rule validation for this type (the `type` key is allowed).
    func validateFields(_ config: JSON, path: String, errors: inout [FieldError]) -> JSONObject? {
        let out = FieldDefinition.validateObject(config, fields: fields, path: path, errors: &errors,
                                                 allowExtra: [ComponentSpec.typeField])
        guard case .object(let input) = config else { return out }
        func present(_ name: String) -> Bool { input[name].map { !$0.isNull } ?? false }
        for rule in rules {
            switch rule {
            case .requireAny(let names):
                if !names.contains(where: present) {
                    errors.append(FieldError(path, "requires one of: " + names.joined(separator: ", ")))
                }
            case .requiredWhen(let field, let value, let required):
                guard input[field]?.stringValue == value else { continue }
                for name in required where !present(name) {
                    errors.append(FieldError(FieldDefinition.join(path, name), "is required when \(field) is \(value)"))
                }
            }
        }
        return out
    }
}
