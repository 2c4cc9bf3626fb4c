/// JSON Schema (2020-12) export of declared fields (`WorkflowDefinition.jsonSchema`), generated
/// from the same `FieldDefinition`s that validate; `properties` keep the declaration order.
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
        return .object(o)
    }

    static func schemaNumber(_ d: Double, _ type: ValueType) -> JSON {
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
