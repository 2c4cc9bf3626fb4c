/// A JSON Schema (2020-12) subset validator, for workflow input schemas, connector
/// config schemas and plugin-declared component config schemas: `type` (one or a
/// list), `required`, `properties`, `additionalProperties` (bool or schema), `enum`,
/// `const`, `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum`,
/// `minLength` / `maxLength`, `pattern`, `items`, `minItems` / `maxItems`, `default`, `allOf`,
/// `anyOf`, `oneOf` (with a discriminator: OpenAPI's `discriminator.propertyName`, or a
/// property every branch fixes with `const`, so only the matching branch's errors are
/// reported), `if` / `then` / `else`, `dependentRequired` and `format` (`uri`; and the
/// kernel's own formats in `x-mcpk-format`: `JSONSchemaFormat`). Annotations (`title`,
/// `description`, `$schema`, `$id`, `examples`, any `x-…`) are accepted and ignored;
/// keywords that would change validation but are not implemented are rejected when
/// the schema is compiled, so a schema never silently validates less than it says.
public final class JSONSchema: Sendable {
    public static let maxDepth = 64
    static let knownTypes: Set<String> = ["null", "boolean", "integer", "number", "string", "array", "object"]
    static let annotations: Set<String> = ["title", "description", "$schema", "$id", "$comment", "format", "examples",
                                           "readOnly", "writeOnly", "deprecated", "contentMediaType", "discriminator"]
    static let unsupported: Set<String> = ["$ref", "$defs", "definitions", "not", "patternProperties",
                                           "dependentSchemas", "propertyNames", "uniqueItems", "contains",
                                           "prefixItems", "multipleOf", "minProperties", "maxProperties",
                                           "unevaluatedProperties", "unevaluatedItems"]

    public let types: [String]?
    public let properties: [(name: String, schema: JSONSchema)]
    public let required: [String]
    /// nil = allowed; `.some(nil)` = forbidden (`false`); `.some(schema)` = must match.
    public let additionalProperties: JSONSchema??
    public let enumValues: [JSON]?
    public let minimum: Double?
    public let maximum: Double?
    public let exclusiveMinimum: Double?
    public let exclusiveMaximum: Double?
    public let minLength: Int?
    public let maxLength: Int?
    /// A regular expression a string must contain a match of (unanchored, as in JSON Schema).
    public let pattern: String?
    public let items: JSONSchema?
    public let minItems: Int?
    public let maxItems: Int?
    public let defaultValue: JSON?
    /// The schema as written.
    public let json: JSON
    /// `allOf` / `anyOf` / `oneOf` / `if`-`then`-`else` / `dependentRequired` / `format`.
    let logic: Logic

    /// The applicator and format keywords of one schema (`JSONSchema+Logic`).
    struct Logic: Sendable {
        var allOf: [JSONSchema] = []
        var anyOf: [JSONSchema] = []
        var oneOf: [JSONSchema] = []
        /// The property whose value picks the `oneOf` branch.
        var discriminator: String?
        var ifSchema: JSONSchema?
        var thenSchema: JSONSchema?
        var elseSchema: JSONSchema?
        var dependentRequired: [(String, [String])] = []
        var format: String?
        var mcpkFormat: String?
        var isEmpty: Bool {
            allOf.isEmpty && anyOf.isEmpty && oneOf.isEmpty && ifSchema == nil && dependentRequired.isEmpty
                && format == nil && mcpkFormat == nil
        }
    }

    private init(types: [String]?, properties: [(String, JSONSchema)], required: [String], additionalProperties: JSONSchema??,
                 enumValues: [JSON]?, minimum: Double?, maximum: Double?, exclusiveMinimum: Double?, exclusiveMaximum: Double?,
                 minLength: Int?, maxLength: Int?, pattern: String? = nil, items: JSONSchema?, minItems: Int?, maxItems: Int?, defaultValue: JSON?, json: JSON,
                 logic: Logic = Logic()) {
        self.types = types; self.properties = properties.map { (name: $0.0, schema: $0.1) }; self.required = required
        self.additionalProperties = additionalProperties; self.enumValues = enumValues
        self.minimum = minimum; self.maximum = maximum; self.exclusiveMinimum = exclusiveMinimum; self.exclusiveMaximum = exclusiveMaximum
        self.minLength = minLength; self.maxLength = maxLength; self.pattern = pattern; self.items = items; self.minItems = minItems
        self.maxItems = maxItems; self.defaultValue = defaultValue; self.json = json; self.logic = logic
    }

    /// The schema that accepts everything.
    public static let any = JSONSchema(types: nil, properties: [], required: [], additionalProperties: nil, enumValues: nil,
                                       minimum: nil, maximum: nil, exclusiveMinimum: nil, exclusiveMaximum: nil,
                                       minLength: nil, maxLength: nil, items: nil, minItems: nil, maxItems: nil,
                                       defaultValue: nil, json: .object(JSONObject()))

    /// Compiles a schema; problems are reported with paths rooted at `path`.
    public static func compile(_ json: JSON, path: String) -> (JSONSchema?, [FieldError]) {
        var errors: [FieldError] = []
        let s = compile(json, path: path, depth: 0, errors: &errors)
        return errors.isEmpty ? (s, []) : (nil, errors)
    }

    private static func compile(_ json: JSON, path: String, depth: Int, errors: inout [FieldError]) -> JSONSchema {
        if case .bool(true) = json { return .any }
        guard case .object(let o) = json else {
            errors.append(FieldError(path, "must be a JSON Schema object"))
            return .any
        }
        guard depth < maxDepth else {
            errors.append(FieldError(path, "schema nested deeper than \(maxDepth)"))
            return .any
        }
        func p(_ k: String) -> String { FieldDefinition.join(path, k) }
        var types: [String]?
        var properties: [(String, JSONSchema)] = []
        var required: [String] = []
        var additional: JSONSchema?? = nil
        var enumValues: [JSON]?
        var numbers: [String: Double] = [:]
        var counts: [String: Int] = [:]
        var items: JSONSchema?
        var pattern: String?
        var defaultValue: JSON?
        var logic = Logic()
        func list(_ key: String, _ value: JSON) -> [JSONSchema] {
            guard case .array(let a) = value, !a.isEmpty else {
                errors.append(FieldError(p(key), "must be a non-empty array of schemas")); return []
            }
            return a.enumerated().map { compile($1, path: "\(p(key))[\($0)]", depth: depth + 1, errors: &errors) }
        }
        for (key, value) in o {
            switch key {
            case "type":
                let names: [String]
                if case .string(let s) = value { names = [s] }
                else if case .array(let a) = value, !a.isEmpty, a.allSatisfy({ $0.stringValue != nil }) { names = a.compactMap(\.stringValue) }
                else { errors.append(FieldError(p(key), "must be a type name or a list of type names")); continue }
                for n in names where !knownTypes.contains(n) {
                    errors.append(FieldError(p(key), "unknown type '\(n)'; valid types: " + knownTypes.sorted().joined(separator: ", ")))
                }
                types = names
            case "properties":
                guard case .object(let props) = value else { errors.append(FieldError(p(key), "must be an object")); continue }
                for (name, sub) in props {
                    properties.append((name, compile(sub, path: p(key) + "." + name, depth: depth + 1, errors: &errors)))
                }
            case "required":
                guard case .array(let a) = value, a.allSatisfy({ $0.stringValue != nil }) else {
                    errors.append(FieldError(p(key), "must be an array of property names")); continue
                }
                required = a.compactMap(\.stringValue)
            case "additionalProperties":
                switch value {
                case .bool(true): additional = nil
                case .bool(false): additional = .some(nil)
                default: additional = .some(compile(value, path: p(key), depth: depth + 1, errors: &errors))
                }
            case "enum":
                guard case .array(let a) = value, !a.isEmpty else { errors.append(FieldError(p(key), "must be a non-empty array")); continue }
                enumValues = a
            case "const":
                enumValues = [value]
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard let d = value.doubleValue else { errors.append(FieldError(p(key), "must be a number")); continue }
                numbers[key] = d
            case "minLength", "maxLength", "minItems", "maxItems":
                guard let i = value.intValue, i >= 0, let n = Int(exactly: i) else {
                    errors.append(FieldError(p(key), "must be a non-negative integer")); continue
                }
                counts[key] = n
            case "pattern":
                guard let re = value.stringValue, (try? Regex(re)) != nil else {
                    errors.append(FieldError(p(key), "must be a regular expression")); continue
                }
                pattern = re
            case "items":
                items = compile(value, path: p(key), depth: depth + 1, errors: &errors)
            case "default":
                defaultValue = value
            case "allOf": logic.allOf = list(key, value)
            case "anyOf": logic.anyOf = list(key, value)
            case "oneOf": logic.oneOf = list(key, value)
            case "if": logic.ifSchema = compile(value, path: p(key), depth: depth + 1, errors: &errors)
            case "then": logic.thenSchema = compile(value, path: p(key), depth: depth + 1, errors: &errors)
            case "else": logic.elseSchema = compile(value, path: p(key), depth: depth + 1, errors: &errors)
            case "dependentRequired":
                guard case .object(let deps) = value else { errors.append(FieldError(p(key), "must be an object")); continue }
                for (name, names) in deps {
                    guard case .array(let a) = names, a.allSatisfy({ $0.stringValue != nil }) else {
                        errors.append(FieldError(p(key) + "." + name, "must be an array of property names")); continue
                    }
                    logic.dependentRequired.append((name, a.compactMap(\.stringValue)))
                }
            case "format":
                guard let f = value.stringValue else { errors.append(FieldError(p(key), "must be a string")); continue }
                logic.format = f
            case "x-mcpk-format":
                guard let f = value.stringValue else { errors.append(FieldError(p(key), "must be a string")); continue }
                guard JSONSchemaFormat(rawValue: f) != nil else {
                    errors.append(FieldError(p(key), "unknown kernel format '\(f)'; known: " + JSONSchemaFormat.allCases.map(\.rawValue).joined(separator: ", ")))
                    continue
                }
                logic.mcpkFormat = f
            default:
                if unsupported.contains(key) {
                    errors.append(FieldError(p(key), "unsupported keyword (supported: type, properties, required, additionalProperties, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, items, minItems, maxItems, default, allOf, anyOf, oneOf, if, then, else, dependentRequired, format)"))
                } else if !annotations.contains(key) && !key.hasPrefix("x-") {
                    errors.append(FieldError(p(key), "unknown keyword"))
                }
            }
        }
        if !logic.oneOf.isEmpty {
            logic.discriminator = o["discriminator"]?["propertyName"]?.stringValue ?? JSONSchema.commonConst(logic.oneOf)
        }
        return JSONSchema(types: types, properties: properties, required: required, additionalProperties: additional,
                          enumValues: enumValues, minimum: numbers["minimum"], maximum: numbers["maximum"],
                          exclusiveMinimum: numbers["exclusiveMinimum"], exclusiveMaximum: numbers["exclusiveMaximum"],
                          minLength: counts["minLength"], maxLength: counts["maxLength"], pattern: pattern, items: items,
                          minItems: counts["minItems"], maxItems: counts["maxItems"], defaultValue: defaultValue, json: json,
                          logic: logic)
    }

    public func property(_ name: String) -> JSONSchema? { properties.first { $0.name == name }?.schema }

    /// Whether the schema declares its properties (so references to others are typos).
    public var declaresProperties: Bool { !properties.isEmpty }

    /// Fills missing object properties that have a `default`, recursively.
    public func applyingDefaults(_ value: JSON) -> JSON {
        switch value {
        case .object(var o):
            for (name, schema) in properties {
                if let v = o[name], !v.isNull {
                    o[name] = schema.applyingDefaults(v)
                } else if let d = schema.defaultValue {
                    o[name] = schema.applyingDefaults(d)
                }
            }
            return .object(o)
        case .array(let a):
            guard let items else { return value }
            return .array(a.map { items.applyingDefaults($0) })
        default:
            return value
        }
    }

    /// Every violation, with paths rooted at `path` (e.g. `inputs.x`).
    public func validate(_ value: JSON, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        validate(value, path: path, errors: &errors)
        return errors
    }

    static func matches(_ value: JSON, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("integer", _): return value.intValue != nil
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    func validate(_ value: JSON, path: String, errors: inout [FieldError]) {
        if let types, !types.contains(where: { JSONSchema.matches(value, $0) }) {
            let names = types.map { $0 == "integer" ? "an integer" : ($0 == "null" ? "null" : Reference.article($0)) }
            errors.append(FieldError(path, "must be " + names.joined(separator: " or ")))
            return
        }
        if !logic.isEmpty { validateLogic(value, path: path, errors: &errors) }
        if let enumValues, !enumValues.contains(where: { WhenExpression.equal($0, value) }) {
            let list = enumValues.map { $0.stringValue ?? $0.serialized() }.joined(separator: ", ")
            errors.append(FieldError(path, enumValues.count == 1 ? "must be \(list)" : "must be one of: \(list)"))
        }
        switch value {
        case .int, .double:
            let x = value.doubleValue ?? 0
            let ok = (minimum.map { x >= $0 } ?? true) && (maximum.map { x <= $0 } ?? true)
                && (exclusiveMinimum.map { x > $0 } ?? true) && (exclusiveMaximum.map { x < $0 } ?? true)
            if !ok {
                errors.append(FieldError(path, FieldDefinition.rangeMessage(minimum: minimum, maximum: maximum,
                                                                            exclusiveMinimum: exclusiveMinimum,
                                                                            exclusiveMaximum: exclusiveMaximum)))
            }
        case .string(let s):
            if let minLength, s.count < minLength {
                errors.append(FieldError(path, minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters"))
            }
            if let maxLength, s.count > maxLength { errors.append(FieldError(path, "must be at most \(maxLength) characters")) }
            if let pattern, let re = try? Regex(pattern), !s.contains(re) { errors.append(FieldError(path, "must match \(pattern)")) }
        case .array(let a):
            if let minItems, a.count < minItems { errors.append(FieldError(path, "must have at least \(minItems) items")) }
            if let maxItems, a.count > maxItems { errors.append(FieldError(path, "must have at most \(maxItems) items")) }
            if let items { for (i, x) in a.enumerated() { items.validate(x, path: "\(path)[\(i)]", errors: &errors) } }
        case .object(let o):
            for name in required where o[name] == nil {
                errors.append(FieldError(FieldDefinition.join(path, name), "is required"))
            }
            for (name, schema) in properties {
                if let v = o[name] { schema.validate(v, path: FieldDefinition.join(path, name), errors: &errors) }
            }
            if let additional = additionalProperties {
                let declared = Set(properties.map(\.name))
                for (k, v) in o where !declared.contains(k) {
                    if let schema = additional {
                        schema.validate(v, path: FieldDefinition.join(path, k), errors: &errors)
                    } else {
                        errors.append(FieldError(FieldDefinition.join(path, k), "unknown field"))
                    }
                }
            }
        default:
            break
        }
    }
}
