/// Validation and normalisation driven by `FieldDefinition`s. Every error is
/// collected (never just the first) with a JSON path.
extension FieldDefinition {
    /// Validates an object against declared fields. Unknown keys are errors;
    /// missing optional fields get their defaults; `null` counts as absent.
    /// Returns the normalised object (fields in definition order), or nil if
    /// `value` is not an object.
    static func validateObject(_ value: JSON, fields: [FieldDefinition], path: String,
                               errors: inout [FieldError], allowExtra: Set<String> = []) -> JSONObject? {
        guard case .object(let input) = value else {
            errors.append(FieldError(path, "must be an object"))
            return nil
        }
        let known = Set(fields.map(\.name)).union(allowExtra)
        for (key, _) in input where !known.contains(key) {
            errors.append(FieldError(join(path, key), "unknown field"))
        }
        var out = JSONObject()
        for field in fields {
            let fieldPath = join(path, field.name)
            guard let v = input[field.name], !v.isNull else {
                if field.required {
                    errors.append(FieldError(fieldPath, "is required"))
                } else if let d = field.defaultValue {
                    out[field.name] = d
                }
                continue
            }
            if let normalised = field.validate(v, path: fieldPath, errors: &errors) {
                out[field.name] = normalised
            }
        }
        return out
    }

    /// Validates one value of this field; returns its normalised form or nil on error.
    func validate(_ value: JSON, path: String, errors: inout [FieldError]) -> JSON? {
        let before = errors.count
        guard let v = FieldDefinition.check(value, type: type, path: path, errors: &errors) else { return nil }
        switch v {
        case .string(let s):
            let length = s.count
            if let minLength, length < minLength {
                errors.append(FieldError(path, minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters"))
            }
            if let maxLength, length > maxLength {
                errors.append(FieldError(path, "must be at most \(maxLength) characters"))
            }
            if let enumValues, !enumValues.contains(s) {
                errors.append(FieldError(path, "must be one of: " + enumValues.joined(separator: ", ")))
            }
        case .int, .double:
            if let message = rangeViolation(v.doubleValue ?? 0) { errors.append(FieldError(path, message)) }
        default:
            break
        }
        return errors.count == before ? v : nil
    }

    /// The range message for `x`, or nil when it is within bounds.
    func rangeViolation(_ x: Double) -> String? {
        let lowOK = (minimum.map { x >= $0 } ?? true) && (exclusiveMinimum.map { x > $0 } ?? true)
        let highOK = (maximum.map { x <= $0 } ?? true) && (exclusiveMaximum.map { x < $0 } ?? true)
        if lowOK && highOK { return nil }
        return FieldDefinition.rangeMessage(minimum: minimum, maximum: maximum, exclusiveMinimum: exclusiveMinimum,
                                            exclusiveMaximum: exclusiveMaximum)
    }

    /// "must be between 0 and 2", "must be greater than 0", "must be at least 1", …
    static func rangeMessage(minimum: Double?, maximum: Double?, exclusiveMinimum: Double?,
                             exclusiveMaximum: Double?) -> String {
        if let lo = minimum, let hi = maximum { return "must be between \(formatNumber(lo)) and \(formatNumber(hi))" }
        var parts: [String] = []
        if let lo = minimum { parts.append("at least \(formatNumber(lo))") }
        if let lo = exclusiveMinimum { parts.append("greater than \(formatNumber(lo))") }
        if let hi = maximum { parts.append("at most \(formatNumber(hi))") }
        if let hi = exclusiveMaximum { parts.append("less than \(formatNumber(hi))") }
        return "must be " + parts.joined(separator: " and ")
    }

    /// `2.0` → "2", `0.5` → "0.5".
    static func formatNumber(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    /// Checks the JSON type (recursively for containers) and normalises numbers.
    static func check(_ value: JSON, type: ValueType, path: String, errors: inout [FieldError]) -> JSON? {
        switch type {
        case .any:
            return value
        case .string:
            guard case .string = value else { errors.append(FieldError(path, "must be a string")); return nil }
            return value
        case .boolean:
            guard case .bool = value else { errors.append(FieldError(path, "must be a boolean")); return nil }
            return value
        case .integer:
            guard let i = value.intValue else { errors.append(FieldError(path, "must be an integer")); return nil }
            return .int(i)
        case .number:
            guard let d = value.doubleValue, d.isFinite else { errors.append(FieldError(path, "must be a number")); return nil }
            return .double(d)
        case .object(let fields):
            guard case .object(let o) = value else { errors.append(FieldError(path, "must be an object")); return nil }
            guard let fields else { return .object(o) }
            let before = errors.count
            let out = validateObject(value, fields: fields, path: path, errors: &errors)
            return errors.count == before ? out.map(JSON.object) : nil
        case .map(let valueType):
            guard case .object(let o) = value else { errors.append(FieldError(path, "must be an object")); return nil }
            var out = JSONObject()
            var ok = true
            for (k, v) in o {
                if let n = check(v, type: valueType, path: join(path, k), errors: &errors) { out[k] = n } else { ok = false }
            }
            return ok ? .object(out) : nil
        case .array(let items):
            guard case .array(let a) = value else { errors.append(FieldError(path, "must be an array")); return nil }
            var out: [JSON] = []
            var ok = true
            for (i, v) in a.enumerated() {
                if let n = check(v, type: items, path: "\(path)[\(i)]", errors: &errors) { out.append(n) } else { ok = false }
            }
            return ok ? .array(out) : nil
        }
    }

    public static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

}
