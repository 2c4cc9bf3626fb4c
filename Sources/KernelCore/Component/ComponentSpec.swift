/// The declarative definition of one component type's config: its fields in
/// form order and its cross-field rules. `ComponentSpec.for(_:)` is the one
/// source of truth for validation (`ComponentSpec+Validation`) and for the
/// JSON Schema that `component.schema` returns (`ComponentSpec+JSONSchema`).
public struct ComponentSpec: Sendable {
    public let type: ComponentType
    public let description: String
    public let fields: [FieldDefinition]
    public let rules: [ConfigRule]

    public init(type: ComponentType, description: String, fields: [FieldDefinition], rules: [ConfigRule] = []) {
        self.type = type; self.description = description; self.fields = fields + [ComponentSpec.maxResultBytesField]; self.rules = rules
    }

    /// Shared by every type: the hard limit on one step result (default `ValueLimits.defaultMaxResultBytes`,
    /// or `MCPK_MAX_RESULT_BYTES`); a larger result fails the step naming the limit.
    public static let maxResultBytesField = FieldDefinition(
        "maxResultBytes", .integer, exclusiveMinimum: 0, title: "Max Result Bytes",
        "Largest result (JSON text, bytes) a step of this component may return; larger fails the step.")

    /// The discriminator field present in every config.
    public static let typeField = "type"

    public func field(_ name: String) -> FieldDefinition? { fields.first { $0.name == name } }
}
