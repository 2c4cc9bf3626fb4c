/// One step of a workflow definition.
public struct WorkflowStep: Sendable, Equatable {
    public static let maxTimeoutSeconds = ComponentSpec.maxStepTimeoutSeconds

    public var id: String
    /// Component id or name.
    public var component: String
    /// Pinned version; nil = latest at run time.
    public var version: Int?
    public var needs: [String]
    /// Input mapping: values are literals or templates with `${…}` references.
    public var inputs: JSONObject
    public var retries: RetryPolicy
    public var timeoutSeconds: Double?
    public var when: WhenExpression?
    /// The `when` text as written.
    public var whenSource: String?
    public var continueOnError: Bool
    /// Filled by validation with a component lookup.
    public var resolved: ComponentResolution.Found?

    public init(id: String, component: String, version: Int? = nil, needs: [String] = [], inputs: JSONObject = JSONObject(),
                retries: RetryPolicy = .none, timeoutSeconds: Double? = nil, when: String? = nil,
                continueOnError: Bool = false) throws {
        self.id = id; self.component = component; self.version = version; self.needs = needs; self.inputs = inputs
        self.retries = retries; self.timeoutSeconds = timeoutSeconds; self.whenSource = when
        self.when = try when.map(WhenExpression.parse)
        self.continueOnError = continueOnError
    }

    /// Every reference in the step's inputs and `when`.
    public var references: [Reference] {
        var out = Template.references(in: .object(inputs), path: "").refs.map(\.ref)
        if let when { out += when.references }
        return out
    }

    /// The step's input values with every reference resolved.
    public func resolveInputs(in context: ReferenceContext) throws -> JSON {
        try Template.resolveValue(.object(inputs), in: context)
    }

    static let fields: [FieldDefinition] = [
        FieldDefinition("id", .string, required: true, "Step id (letters, digits, '_' and '-'; unique in the workflow)."),
        FieldDefinition("name", .string, "Display name."),
        FieldDefinition("description", .string, "What the step does."),
        FieldDefinition("component", .string, required: true, minLength: 1, "Component id or name."),
        FieldDefinition("version", .integer, minimum: 1, "Component version (latest when omitted)."),
        FieldDefinition("needs", .array(items: .string), default: .array([]), "Ids of the steps that must succeed first."),
        FieldDefinition("inputs", .object(fields: nil), default: .object(JSONObject()),
                        "Input mapping: literal values or \"${inputs.x}\" / \"${steps.<id>.result.<path>}\" references."),
        FieldDefinition("retries", .object(fields: RetryPolicy.fields), "Retry policy."),
        FieldDefinition("timeoutSeconds", .number, maximum: maxTimeoutSeconds, exclusiveMinimum: 0,
                        "Wall-clock limit per attempt."),
        FieldDefinition("when", .string, minLength: 1, "Condition on inputs/results; the step is skipped when false."),
        FieldDefinition("continueOnError", .boolean, default: .bool(false), "A failure of this step does not fail the run."),
    ]
}

/// What a component lookup returns for a step's `component` / `version`.
public enum ComponentResolution: Sendable, Equatable {
    public struct Found: Sendable, Equatable {
        public var id: EntityID
        public var version: Int
        public var type: ComponentType
        public init(id: EntityID, version: Int, type: ComponentType) { self.id = id; self.version = version; self.type = type }
    }

    case found(Found)
    case componentNotFound
    case versionNotFound(latest: Int)
}
