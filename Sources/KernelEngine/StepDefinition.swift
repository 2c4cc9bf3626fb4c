import KernelCore

/// One step of a workflow definition, as the engine runs it.
///
/// Definition shape: `{id, component, version?, needs?, inputs?, when?, retries?, timeoutSeconds?,
/// continueOnError?}`. `component` is a component id or name; `version` pins one (else latest
/// at `workflow.run` time, recorded in the run's `pinned`).
public struct StepDefinition: Sendable, Equatable {
    public var id: String
    public var component: String
    public var version: Int?
    public var needs: [String]
    /// Input mapping: any JSON whose strings may hold `${…}` references.
    public var inputs: JSON
    public var when: String?
    public var retry: RetryPolicy
    public var timeoutSeconds: Double?
    public var continueOnError: Bool

    public init(id: String, component: String, version: Int? = nil, needs: [String] = [], inputs: JSON = [:],
                when: String? = nil, retry: RetryPolicy = RetryPolicy(), timeoutSeconds: Double? = nil,
                continueOnError: Bool = false) {
        self.id = id; self.component = component; self.version = version; self.needs = needs
        self.inputs = inputs; self.when = when; self.retry = retry; self.timeoutSeconds = timeoutSeconds
        self.continueOnError = continueOnError
    }

    static func parse(_ json: JSON, index: Int) throws -> StepDefinition {
        let path = "steps.\(index)"
        func bad(_ field: String, _ message: String) -> KernelError {
            .invalidParams("invalid workflow definition", errors: [FieldError(path + (field.isEmpty ? "" : "." + field), message)])
        }
        guard case .object = json else { throw bad("", "must be an object") }
        guard let id = json["id"]?.stringValue, !id.isEmpty else { throw bad("id", "is required (a non-empty string)") }
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw bad("id", "may contain letters, digits, '_' and '-' only")
        }
        guard let component = (json["component"] ?? json["componentId"])?.stringValue, !component.isEmpty else {
            throw bad("component", "is required (a component id or name)")
        }
        var step = StepDefinition(id: id, component: component)
        if let v = json["version"], !v.isNull {
            guard let n = v.intValue, n >= 1 else { throw bad("version", "must be a positive integer") }
            step.version = Int(n)
        }
        if let n = json["needs"], !n.isNull {
            guard let arr = n.arrayValue else { throw bad("needs", "must be an array of step ids") }
            step.needs = try arr.enumerated().map { i, e in
                guard let s = e.stringValue else { throw bad("needs.\(i)", "must be a string") }
                return s
            }
        }
        if let i = json["inputs"], !i.isNull {
            guard case .object = i else { throw bad("inputs", "must be an object") }
            step.inputs = i
        }
        if let w = json["when"], !w.isNull {
            guard let s = w.stringValue else { throw bad("when", "must be a string expression") }
            do { _ = try WhenExpression.parse(s) } catch let e as KernelError { throw bad("when", e.message) }
            step.when = s
        }
        step.retry = try RetryPolicy.parse(json["retries"], path: path + ".retries")
        if let t = json["timeoutSeconds"], !t.isNull {
            guard let d = t.doubleValue, d > 0, d <= EngineLimits.maxStepTimeoutSeconds else {
                throw bad("timeoutSeconds", "must be a number > 0 and ≤ \(Int(EngineLimits.maxStepTimeoutSeconds))")
            }
            step.timeoutSeconds = d
        }
        if let c = json["continueOnError"], !c.isNull {
            guard let b = c.boolValue else { throw bad("continueOnError", "must be a boolean") }
            step.continueOnError = b
        }
        return step
    }
}
