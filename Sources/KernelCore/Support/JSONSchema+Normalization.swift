/// The normal form of a value under a schema, the one a component config is stored and
/// checksummed in: declared object members in schema order (then any others), `null`
/// for a member that may not be null dropped (absent), integers as integers (`2.0` → `2`)
/// and numbers as doubles. Defaults are `applyingDefaults`'s job; apply them first.
extension JSONSchema {
    public func normalized(_ value: JSON) -> JSON {
        switch value {
        case .int, .double:
            if types == ["integer"], let i = value.intValue { return .int(i) }
            if types == ["number"], let d = value.doubleValue { return .double(d) }
            return value
        case .object(let o):
            guard !properties.isEmpty || additionalProperties != nil else { return value }
            var out = JSONObject()
            for (name, schema) in properties {
                guard let v = o[name] else { continue }
                if v.isNull && !(schema.types?.contains("null") ?? false) { continue }
                out[name] = schema.normalized(v)
            }
            for (k, v) in o where out[k] == nil && property(k) == nil {
                if case .some(.some(let schema)) = additionalProperties { out[k] = schema.normalized(v) } else { out[k] = v }
            }
            return .object(out)
        case .array(let a):
            guard let items else { return value }
            return .array(a.map { items.normalized($0) })
        default:
            return value
        }
    }
}
