/// A cross-field rule of a config definition, validated and exported to
/// JSON Schema from the same declaration.
public enum ConfigRule: Sendable {
    /// At least one of the fields must be present (`anyOf` of `required`).
    case requireAny([String])
    /// When `field` equals `value`, the listed fields are required (`if`/`then`).
    case requiredWhen(field: String, equals: String, required: [String])
}
