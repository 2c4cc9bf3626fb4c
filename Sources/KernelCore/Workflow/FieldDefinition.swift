/// One field of a workflow definition's declared shape (the definition, a step, its retries,
/// wait and cache): the single source for their validation, defaults and JSON Schema export.
/// Component configs are not declared here: their schemas come from executor plugins (`ComponentTypes`).
public struct FieldDefinition: Sendable {
    /// The JSON type of a field's value.
    public indirect enum ValueType: Sendable {
        case string
        case integer
        /// Any JSON number; normalised to a double so `1` and `1.0` checksum alike.
        case number
        case boolean
        /// An object with declared fields (unknown keys rejected), or free-form when `fields` is nil.
        case object(fields: [FieldDefinition]?)
        /// An object whose values all have one type (e.g. environment variables).
        case map(values: ValueType)
        case array(items: ValueType)
        /// Any JSON value.
        case any

        /// The JSON Schema `type` keyword value (nil for `any`).
        public var schemaType: String? {
            switch self {
            case .string: return "string"
            case .integer: return "integer"
            case .number: return "number"
            case .boolean: return "boolean"
            case .object, .map: return "object"
            case .array: return "array"
            case .any: return nil
            }
        }
    }

    public var name: String
    public var type: ValueType
    public var required: Bool
    public var defaultValue: JSON?
    public var minimum: Double?
    public var maximum: Double?
    public var exclusiveMinimum: Double?
    public var exclusiveMaximum: Double?
    public var minLength: Int?
    public var maxLength: Int?
    public var enumValues: [String]?
    public var title: String
    public var description: String

    public init(_ name: String, _ type: ValueType, required: Bool = false, default defaultValue: JSON? = nil,
                minimum: Double? = nil, maximum: Double? = nil, exclusiveMinimum: Double? = nil,
                exclusiveMaximum: Double? = nil, minLength: Int? = nil, maxLength: Int? = nil,
                enum enumValues: [String]? = nil, title: String? = nil,
                _ description: String) {
        self.name = name; self.type = type; self.required = required; self.defaultValue = defaultValue
        self.minimum = minimum; self.maximum = maximum; self.exclusiveMinimum = exclusiveMinimum
        self.exclusiveMaximum = exclusiveMaximum; self.minLength = minLength; self.maxLength = maxLength
        self.enumValues = enumValues
        self.title = title ?? FieldDefinition.humanTitle(name)
        self.description = description
    }

    /// `maxTokens` → `Max Tokens`, for form labels.
    static func humanTitle(_ name: String) -> String {
        var out = ""
        for (i, c) in name.enumerated() {
            if i == 0 { out.append(Character(c.uppercased())); continue }
            if c.isUppercase { out.append(" ") }
            out.append(c)
        }
        return out
    }
}
