/// One field of a declarative config definition: the single source of truth
/// for validation, normalisation (defaults) and JSON Schema export.
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

    /// Extra semantic checks on string values, exported as JSON Schema `format`
    /// (or `contentMediaType`).
    public enum Format: String, Sendable {
        /// An absolute `http` or `https` URL.
        case url = "uri"
        /// A JSON or YAML document describing an MCP server: `{command, args, env}`.
        case mcpConfiguration = "mcp-configuration"
        /// A git remote git may clone from: `https://`, `http://` or `git://` (`SourceReference`).
        case gitURL = "git-url"
        /// A branch or tag name (a subset of `git check-ref-format`).
        case gitRef = "git-ref"
        /// A relative path that stays inside its root: not absolute, no `..`.
        case relativePath = "relative-path"
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
    public var format: Format?
    public var title: String
    public var description: String

    public init(_ name: String, _ type: ValueType, required: Bool = false, default defaultValue: JSON? = nil,
                minimum: Double? = nil, maximum: Double? = nil, exclusiveMinimum: Double? = nil,
                exclusiveMaximum: Double? = nil, minLength: Int? = nil, maxLength: Int? = nil,
                enum enumValues: [String]? = nil, format: Format? = nil, title: String? = nil,
                _ description: String) {
        self.name = name; self.type = type; self.required = required; self.defaultValue = defaultValue
        self.minimum = minimum; self.maximum = maximum; self.exclusiveMinimum = exclusiveMinimum
        self.exclusiveMaximum = exclusiveMaximum; self.minLength = minLength; self.maxLength = maxLength
        self.enumValues = enumValues; self.format = format
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
