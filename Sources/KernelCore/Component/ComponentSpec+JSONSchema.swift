/// JSON Schema (2020-12) export of the config definitions, for
/// `component.schema` and console forms. Generated from the same
/// `FieldDefinition`s and `ConfigRule`s that validate; `properties` keep the
/// definition (form) order.
extension ComponentSpec {
    public static let schemaDialect = "https://json-schema.org/draft/2020-12/schema"

    /// The schema of this type's config.
    public var jsonSchema: JSON {
        var properties = JSONObject()
        properties[ComponentSpec.typeField] = ["const": .string(type.rawValue), "title": "Type"]
        let templated = Set(ComponentSpec.templateFields(of: type))
        for f in fields {
            var s = f.jsonSchema.objectValue ?? JSONObject()
            // The engine resolves `${inputs…}` in this field before the executor sees the step.
            if templated.contains(f.name) { s[ComponentSpec.templateHint] = true }
            properties[f.name] = .object(s)
        }
        var o = JSONObject()
        o["$schema"] = .string(ComponentSpec.schemaDialect)
        o["$id"] = .string("urn:mcpk:component-config:" + type.rawValue.lowercased().replacingSpaces())
        o["title"] = .string(type.rawValue)
        o["description"] = .string(description)
        o["type"] = "object"
        o["properties"] = .object(properties)
        o["required"] = JSON([ComponentSpec.typeField] + fields.filter(\.required).map(\.name))
        o["additionalProperties"] = false
        // The step inputs that may carry `${secrets.NAME}` (annotation; see ComponentSpec.secretInputs).
        o["x-mcpk-secret-inputs"] = JSON(ComponentSpec.secretInputs(of: type))
        var anyOf: [JSON] = []
        var allOf: [JSON] = []
        for rule in rules {
            switch rule {
            case .requireAny(let names):
                anyOf = names.map { ["required": JSON([$0])] }
            case .requiredWhen(let field, let value, let required):
                allOf.append([
                    "if": ["properties": .object(JSONObject([(field, ["const": .string(value)])])), "required": JSON([field])],
                    "then": ["required": JSON(required)],
                ])
            }
        }
        if !anyOf.isEmpty { o["anyOf"] = .array(anyOf) }
        if !allOf.isEmpty { o["allOf"] = .array(allOf) }
        return .object(o)
    }

    /// Every built-in type's schema, keyed by type name (`ComponentTypes.allSchemas` adds plugin-declared ones).
    public static var allSchemas: JSON { ComponentTypes.builtIn.allSchemas }

    /// One schema for any built-in config (`ComponentTypes.unionSchema` adds plugin-declared ones).
    public static var unionSchema: JSON { ComponentTypes.builtIn.unionSchema }
}

extension FieldDefinition {
    /// This field's property schema.
    public var jsonSchema: JSON {
        var o = FieldDefinition.schema(of: type)
        o["title"] = .string(title)
        o["description"] = .string(description)
        if let defaultValue { o["default"] = defaultValue }
        if let minimum { o["minimum"] = FieldDefinition.schemaNumber(minimum, type) }
        if let maximum { o["maximum"] = FieldDefinition.schemaNumber(maximum, type) }
        if let exclusiveMinimum { o["exclusiveMinimum"] = FieldDefinition.schemaNumber(exclusiveMinimum, type) }
        if let exclusiveMaximum { o["exclusiveMaximum"] = FieldDefinition.schemaNumber(exclusiveMaximum, type) }
        if let minLength { o["minLength"] = .int(Int64(minLength)) }
        if let maxLength { o["maxLength"] = .int(Int64(maxLength)) }
        if let enumValues { o["enum"] = JSON(enumValues) }
        switch format {
        case .url?:
            o["format"] = "uri"
            o["x-mcpk-format"] = .string(JSONSchemaFormat.httpURL.rawValue)
        case .gitURL?:
            o["format"] = "uri"
            o["x-mcpk-format"] = .string(FieldDefinition.Format.gitURL.rawValue)
        case .gitRef?, .relativePath?: o["x-mcpk-format"] = .string(format?.rawValue ?? "")
        case .mcpConfiguration?:
            o["contentMediaType"] = "application/yaml"
            o["x-mcpk-format"] = .string(FieldDefinition.Format.mcpConfiguration.rawValue)
        case nil: break
        }
        return .object(o)
    }

    static func schemaNumber(_ d: Double, _ type: ValueType) -> JSON {
        if case .integer = type, d.rounded() == d { return .int(Int64(d)) }
        if d.rounded() == d && abs(d) < 1e15 { return .int(Int64(d)) }
        return .double(d)
    }

    static func schema(of type: ValueType) -> JSONObject {
        var o = JSONObject()
        if let t = type.schemaType { o["type"] = .string(t) }
        switch type {
        case .object(let fields?):
            var properties = JSONObject()
            for f in fields { properties[f.name] = f.jsonSchema }
            o["properties"] = .object(properties)
            o["required"] = JSON(fields.filter(\.required).map(\.name))
            o["additionalProperties"] = false
        case .map(let values):
            o["additionalProperties"] = .object(schema(of: values))
        case .array(let items):
            o["items"] = .object(schema(of: items))
        default:
            break
        }
        return o
    }
}

extension String {
    func replacingSpaces() -> String { String(map { $0 == " " ? "-" : $0 }) }
}
