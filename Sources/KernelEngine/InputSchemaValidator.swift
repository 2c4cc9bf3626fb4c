import KernelCore

/// Checks run inputs against a workflow's input schema (the JSON Schema subset the console
/// writes: `type`, `properties`, `required`, `enum`, `items`, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `additionalProperties: false`). Every problem is a FieldError.
public enum InputSchemaValidator {
    public static func validate(_ value: JSON, schema: JSON) throws {
        var errors: [FieldError] = []
        check(value, schema, path: "inputs", &errors)
        if !errors.isEmpty { throw KernelError.invalidParams("inputs do not match the workflow's input schema", errors: errors) }
    }

    static func typeMatches(_ v: JSON, _ t: String) -> Bool {
        switch t {
        case "object": if case .object = v { return true }
        case "array": if case .array = v { return true }
        case "string": if case .string = v { return true }
        case "boolean": if case .bool = v { return true }
        case "null": return v.isNull
        case "integer": return v.intValue != nil
        case "number": return v.doubleValue != nil
        default: return true
        }
        return false
    }

    static func check(_ v: JSON, _ schema: JSON, path: String, _ errors: inout [FieldError]) {
        guard case .object = schema else { return }
        if let t = schema["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? t.stringValue.map { [$0] } ?? []
            if !types.isEmpty && !types.contains(where: { typeMatches(v, $0) }) {
                errors.append(FieldError(path, "must be \(types.joined(separator: " or ")), got \(v.typeName)"))
                return
            }
        }
        if let e = schema["enum"]?.arrayValue, !e.contains(v) {
            errors.append(FieldError(path, "must be one of \(JSON.array(e).serialized())"))
        }
        if let d = v.doubleValue {
            if let m = schema["minimum"]?.doubleValue, d < m { errors.append(FieldError(path, "must be ≥ \(m)")) }
            if let m = schema["maximum"]?.doubleValue, d > m { errors.append(FieldError(path, "must be ≤ \(m)")) }
        }
        if let s = v.stringValue {
            if let m = schema["minLength"]?.intValue, s.count < m { errors.append(FieldError(path, "must have at least \(m) characters")) }
            if let m = schema["maxLength"]?.intValue, s.count > m { errors.append(FieldError(path, "must have at most \(m) characters")) }
        }
        if case .array(let a) = v, let items = schema["items"] {
            for (i, e) in a.enumerated() { check(e, items, path: "\(path).\(i)", &errors) }
        }
        if case .object(let o) = v {
            let props = schema["properties"]?.objectValue ?? JSONObject()
            for r in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[r] == nil {
                errors.append(FieldError("\(path).\(r)", "is required"))
            }
            for (k, val) in o {
                if let p = props[k] { check(val, p, path: "\(path).\(k)", &errors) }
                else if schema["additionalProperties"] == .bool(false) {
                    errors.append(FieldError("\(path).\(k)", "is not a declared input"))
                }
            }
        }
    }

    /// Fills `default`s of top-level properties that were not given.
    public static func applyDefaults(_ value: JSON, schema: JSON) -> JSON {
        guard case .object(var o) = value, let props = schema["properties"]?.objectValue else { return value }
        for (k, p) in props where o[k] == nil {
            if let d = p["default"] { o[k] = d }
        }
        return .object(o)
    }
}
