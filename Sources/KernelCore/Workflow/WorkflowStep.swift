/// One step of a workflow definition.
public struct WorkflowStep: Sendable, Equatable {
    public static let maxTimeoutSeconds = ComponentConventions.maxStepTimeoutSeconds
    /// Most items one `forEach` step runs (a longer list fails the step, naming limit and size).
    public static let maxForEachItems = 100_000
    /// Highest `maxParallel`.
    public static let maxParallelLimit = 10_000

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
    /// `forEach`: a `${…}` reference to a list; the step runs once per item (`${item}`, `${index}`).
    public var forEach: String?
    /// Items of a `forEach` step in flight at once (nil: only the kernel's step limit).
    public var maxParallel: Int?
    /// A `wait` step (no component).
    public var wait: WorkflowWait?
    /// A nested workflow step (no component): `name@version` or `name` (latest at submit).
    public var workflow: String?
    /// The step's result cache (component steps without forEach only).
    public var cache: StepCachePolicy?

    /// What a step runs.
    public enum Kind: Sendable, Equatable {
        case component
        case wait
        case workflow(name: String, version: Int?)
    }

    public var kind: Kind {
        if wait != nil { return .wait }
        if let workflow, let (n, v) = WorkflowStep.parseWorkflowReference(workflow) { return .workflow(name: n, version: v) }
        return .component
    }

    /// `name@3` → ("name", 3); `name` → ("name", nil); nil when malformed.
    public static func parseWorkflowReference(_ text: String) -> (String, Int?)? {
        guard let at = text.lastIndex(of: "@") else { return text.isEmpty ? nil : (text, nil) }
        let name = String(text[..<at]), v = String(text[text.index(after: at)...])
        guard !name.isEmpty, let n = Int(v), n >= 1 else { return nil }
        return (name, n)
    }

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
        FieldDefinition("component", .string, minLength: 1, "Component id or name (required unless the step is a wait or a nested workflow)."),
        FieldDefinition("version", .integer, minimum: 1, "Component version (latest when omitted)."),
        FieldDefinition("needs", .array(items: .string), default: .array([]), "Ids of the steps that must succeed first."),
        FieldDefinition("inputs", .object(fields: nil), default: .object(JSONObject()),
                        "Input mapping: literal values or \"${inputs.x}\" / \"${steps.<id>.result.<path>}\" references."),
        FieldDefinition("retries", .object(fields: RetryPolicy.fields), "Retry policy."),
        FieldDefinition("timeoutSeconds", .number, maximum: maxTimeoutSeconds, exclusiveMinimum: 0,
                        "Wall-clock limit per attempt."),
        FieldDefinition("when", .string, minLength: 1, "Condition on inputs/results; the step is skipped when false."),
        FieldDefinition("continueOnError", .boolean, default: .bool(false), "A failure of this step does not fail the run."),
        FieldDefinition("forEach", .string, minLength: 1,
                        "A reference to a list (\"${steps.list.result.items}\", \"${inputs.files}\"): the step runs once per item, with ${item} and ${index} in its inputs and when."),
        FieldDefinition("maxParallel", .integer, minimum: 1, maximum: Double(maxParallelLimit), "Items of a forEach step in flight at once."),
        FieldDefinition("wait", .object(fields: WorkflowWait.fields), "A wait step (no component): {for | until | signal, schema?, timeoutSeconds?}."),
        FieldDefinition("workflow", .string, minLength: 1, "Runs another workflow as a child run (no component): \"name@version\" or \"name\" (latest at submit)."),
        FieldDefinition("cache", .object(fields: StepCachePolicy.fields),
                        "Reuse the result of an identical successful attempt (same component version, resolved inputs and key) within ttlSeconds: {key?, ttlSeconds}."),
    ]
}

/// What a component lookup returns for a step's `component` / `version`.
public enum ComponentResolution: Sendable, Equatable {
    public struct Found: Sendable, Equatable {
        public var id: EntityID
        public var version: Int
        public var type: ComponentType
        /// The step inputs that may carry `${secrets.NAME}`: what the type's plugin declares (`ComponentTypes.secretInputs`).
        public var secretInputs: [String]
        public init(id: EntityID, version: Int, type: ComponentType, secretInputs: [String]) {
            self.id = id; self.version = version; self.type = type; self.secretInputs = secretInputs
        }
    }

    case found(Found)
    case componentNotFound
    case versionNotFound(latest: Int)
}
