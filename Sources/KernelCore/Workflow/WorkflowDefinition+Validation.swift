/// Validation of a workflow definition. Every problem is reported at once
/// with its path (`steps[2].needs[0]`): field types and ranges, duplicate and
/// malformed step ids, unknown `needs`, cycles (named), unparseable
/// references and `when` expressions, references to steps that are not
/// ancestors, references to undeclared inputs, and — through the caller's
/// lookup, so this stays free of I/O — unknown components and versions.
extension WorkflowDefinition {
    /// Looks a step's component (id or name) and optional version up.
    public typealias ComponentLookup = (_ component: String, _ version: Int?) -> ComponentResolution

    /// The `(component, version)` pairs a definition refers to, for callers
    /// that prefetch before validating.
    public static func componentReferences(in definition: JSON) -> [(component: String, version: Int?)] {
        guard let steps = definition["steps"]?.arrayValue else { return [] }
        return steps.compactMap { s in
            guard let c = s["component"]?.stringValue else { return nil }
            return (c, s["version"]?.intValue.flatMap { Int(exactly: $0) })
        }
    }

    /// Validates; returns the definition when there are no errors.
    /// `lookup == nil` skips the component checks (structure only).
    public static func validate(_ definition: JSON, path: String = "", lookup: ComponentLookup?)
        -> (definition: WorkflowDefinition?, errors: [FieldError])
    {
        var errors: [FieldError] = []
        func p(_ s: String) -> String { FieldDefinition.join(path, s) }
        guard case .object(let root) = definition else {
            return (nil, [FieldError(path.isEmpty ? "definition" : path, "must be an object")])
        }

        // Definition-level fields other than steps (steps are walked one by one below).
        let topFields = fields.filter { $0.name != "steps" }
        var normalizedTop = FieldDefinition.validateObject(definition, fields: topFields, path: path, errors: &errors,
                                                           allowExtra: ["steps"]) ?? JSONObject()
        var inputSchema: JSONSchema?
        if let schemaJSON = normalizedTop["inputs"] {
            let (s, schemaErrors) = JSONSchema.compile(schemaJSON, path: p("inputs"))
            errors += schemaErrors
            inputSchema = s
        }

        // Steps, each validated on its own so that one bad step does not hide the others.
        var rawSteps: [(index: Int, fields: JSONObject)] = []
        switch root["steps"] {
        case nil, .null?:
            errors.append(FieldError(p("steps"), "is required"))
        case .array(let a)?:
            if a.isEmpty { errors.append(FieldError(p("steps"), "must contain at least one step")) }
            if a.count > maxSteps { errors.append(FieldError(p("steps"), "must contain at most \(maxSteps) steps")) }
            for (i, s) in a.prefix(maxSteps).enumerated() {
                if let o = FieldDefinition.validateObject(s, fields: WorkflowStep.fields, path: "\(p("steps"))[\(i)]", errors: &errors) {
                    rawSteps.append((i, o))
                }
            }
        default:
            errors.append(FieldError(p("steps"), "must be an array"))
        }
        func sp(_ i: Int, _ s: String) -> String { "\(p("steps"))[\(i)].\(s)" }

        // Ids: well-formed and unique.
        var firstIndex: [String: Int] = [:]
        var stepIDs: [String] = []
        for (i, o) in rawSteps {
            guard let id = o["id"]?.stringValue else { continue }
            if !Reference.isValidStepID(id) {
                errors.append(FieldError(sp(i, "id"), "must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most \(Reference.maxStepIDLength) characters)"))
                continue
            }
            if let first = firstIndex[id] {
                errors.append(FieldError(sp(i, "id"), "duplicate step id '\(id)' (also \(p("steps"))[\(first)])"))
                continue
            }
            firstIndex[id] = i
            stepIDs.append(id)
        }

        // Needs: known, not self, not repeated.
        var needs: [String: [String]] = [:]
        for (i, o) in rawSteps {
            guard let id = o["id"]?.stringValue, firstIndex[id] == i else { continue }
            var list: [String] = []
            for (j, n) in (o["needs"]?.arrayValue ?? []).enumerated() {
                guard let name = n.stringValue else { continue }
                let np = sp(i, "needs[\(j)]")
                if name == id { errors.append(FieldError(np, "a step cannot need itself")) }
                else if firstIndex[name] == nil { errors.append(FieldError(np, "unknown step '\(name)'")) }
                else if list.contains(name) { errors.append(FieldError(np, "duplicate need '\(name)'")) }
                else { list.append(name) }
            }
            needs[id] = list
        }

        // Cycles, each named once, reported on its earliest-defined step.
        for cycle in cycles(ids: stepIDs, needs: needs) {
            let at = firstIndex[cycle[0]] ?? 0
            errors.append(FieldError(sp(at, "needs"), "dependency cycle: " + cycle.joined(separator: " -> ")))
        }

        // References in inputs and when (ancestor sets computed once per step).
        var ancestorCache: [String: Set<String>] = [:]
        func ancestorsOf(_ id: String) -> Set<String> {
            if let a = ancestorCache[id] { return a }
            let a = ancestors(of: id, needs: needs)
            ancestorCache[id] = a
            return a
        }
        func checkReference(_ ref: Reference, at refPath: String, from stepID: String?, forEach: Bool = false) {
            switch ref.root {
            case .item, .index:
                if !forEach {
                    errors.append(FieldError(refPath, "${\(ref)} is only defined in a step with forEach"))
                }
            case .variable: return
            case .secret:
                // Step inputs are checked against their component type's secret inputs below.
                if stepID == nil || refPath.hasSuffix(".when") || refPath.hasSuffix(".forEach") {
                    errors.append(FieldError(refPath, "${\(ref)}: secrets are allowed only in inputs a component type declares secret, not in \(stepID == nil ? "outputs" : refPath.hasSuffix(".forEach") ? "forEach" : "when")"))
                }
            case .inputs:
                if let schema = inputSchema, schema.declaresProperties, case .key(let name)? = ref.path.first,
                   schema.property(name) == nil {
                    errors.append(FieldError(refPath, "${\(ref)} refers to undeclared workflow input '\(name)'"))
                }
            case .step(let target, _):
                guard firstIndex[target] != nil else {
                    errors.append(FieldError(refPath, "${\(ref)} refers to unknown step '\(target)'"))
                    return
                }
                guard let stepID else { return }
                if target == stepID {
                    errors.append(FieldError(refPath, "${\(ref)} refers to the step itself"))
                } else if !ancestorsOf(stepID).contains(target) {
                    errors.append(FieldError(refPath, "${\(ref)}: step '\(target)' is not an ancestor of '\(stepID)' (add it to needs)"))
                }
            }
        }
        var parsedWhen: [Int: WhenExpression] = [:]
        var parsedWait: [Int: WorkflowWait] = [:]
        for (i, o) in rawSteps {
            let id = o["id"]?.stringValue.flatMap { firstIndex[$0] == i ? $0 : nil }
            let fanOut = o["forEach"] != nil
            // What the step runs: exactly one of component, wait, workflow.
            let kinds = ["component", "wait", "workflow"].filter { o[$0] != nil }
            if kinds.isEmpty {
                errors.append(FieldError(sp(i, "component"), "is required (or wait, or workflow)"))
            } else if kinds.count > 1 {
                errors.append(FieldError(sp(i, kinds[1]), "a step runs exactly one of component, wait or workflow (got \(kinds.joined(separator: ", ")))"))
            }
            if o["version"] != nil, o["component"] == nil {
                errors.append(FieldError(sp(i, "version"), "only a component step has a version (a nested workflow is pinned as workflow: \"name@version\")"))
            }
            if let w = o["wait"]?.objectValue {
                if let parsed = WorkflowWait.parse(w, path: sp(i, "wait"), errors: &errors) { parsedWait[i] = parsed }
            }
            if let wf = o["workflow"]?.stringValue, WorkflowStep.parseWorkflowReference(wf) == nil {
                errors.append(FieldError(sp(i, "workflow"), "'\(wf)' is not a workflow reference (\"name@version\" or \"name\")"))
            }
            if let f = o["forEach"]?.stringValue {
                if o["wait"] != nil || o["workflow"] != nil {
                    errors.append(FieldError(sp(i, "forEach"), "only a component step can run once per item"))
                }
                do {
                    let t = try Template.parse(f)
                    guard t.parts.count == 1, case .reference(let r) = t.parts[0] else {
                        throw ExpressionError("must be exactly one ${…} reference to a list, e.g. \"${steps.list.result.items}\"")
                    }
                    if r.root == .item || r.root == .index {
                        errors.append(FieldError(sp(i, "forEach"), "${\(r)} cannot be the list itself"))
                    } else {
                        checkReference(r, at: sp(i, "forEach"), from: id)
                    }
                } catch {
                    errors.append(FieldError(sp(i, "forEach"), "\(error)"))
                }
            } else if o["maxParallel"] != nil {
                errors.append(FieldError(sp(i, "maxParallel"), "only a forEach step has maxParallel"))
            }
            if o["cache"] != nil {
                if o["component"] == nil {
                    errors.append(FieldError(sp(i, "cache"), "only a component step has a result cache (not a wait or a nested workflow)"))
                } else if fanOut {
                    errors.append(FieldError(sp(i, "cache"), "a forEach step has no result cache (cache the component of a step without forEach)"))
                }
            }
            let (refs, refErrors) = Template.references(in: o["inputs"] ?? .object(JSONObject()), path: sp(i, "inputs"))
            errors += refErrors
            for (rp, r) in refs { checkReference(r, at: rp, from: id, forEach: fanOut) }
            if let w = o["when"]?.stringValue {
                do {
                    let e = try WhenExpression.parse(w)
                    parsedWhen[i] = e
                    for r in e.references { checkReference(r, at: sp(i, "when"), from: id, forEach: fanOut) }
                } catch {
                    errors.append(FieldError(sp(i, "when"), "\(error)"))
                }
            }
        }
        if let outputs = normalizedTop["outputs"] {
            let (refs, refErrors) = Template.references(in: outputs, path: p("outputs"))
            errors += refErrors
            for (rp, r) in refs { checkReference(r, at: rp, from: nil) }
        }

        // Components and versions.
        var resolved: [Int: ComponentResolution.Found] = [:]
        if let lookup {
            for (i, o) in rawSteps {
                guard let c = o["component"]?.stringValue, !c.isEmpty else { continue }
                let v = o["version"]?.intValue.flatMap { Int(exactly: $0) }
                switch lookup(c, v) {
                case .found(let f):
                    resolved[i] = f
                    errors += WorkflowDefinition.secretReferenceErrors(o["inputs"]?.objectValue ?? JSONObject(), type: f.type,
                                                                         allowed: f.secretInputs,
                                                                         path: sp(i, "inputs"))
                case .componentNotFound: errors.append(FieldError(sp(i, "component"), "unknown component '\(c)'"))
                case .versionNotFound(let latest):
                    errors.append(FieldError(sp(i, "version"), "component '\(c)' has no version \(v.map(String.init) ?? "?") (latest is \(latest))"))
                }
            }
        }

        guard errors.isEmpty else { return (nil, errors) }

        // Build the typed definition and its normalised JSON.
        var steps: [WorkflowStep] = []
        var stepJSON: [JSON] = []
        for (i, o) in rawSteps {
            let r = ConfigReader(o)
            let retries = o["retries"]?.objectValue.map { ro -> RetryPolicy in
                let rr = ConfigReader(ro)
                return RetryPolicy(max: rr.int("max") ?? 0, backoffSeconds: rr.double("backoffSeconds") ?? RetryPolicy.defaultBackoffSeconds,
                                   factor: rr.double("factor") ?? RetryPolicy.defaultFactor)
            } ?? .none
            var step: WorkflowStep
            do {
                step = try WorkflowStep(id: r.string("id") ?? "", component: r.string("component") ?? "", version: r.int("version"),
                                        needs: r.strings("needs"), inputs: r.objectValue("inputs"), retries: retries,
                                        timeoutSeconds: r.double("timeoutSeconds"), when: nil,
                                        continueOnError: r.bool("continueOnError") ?? false)
            } catch {
                return (nil, [FieldError(sp(i, "when"), "\(error)")])
            }
            step.when = parsedWhen[i]
            step.whenSource = r.string("when")
            step.resolved = resolved[i]
            step.forEach = r.string("forEach")
            step.maxParallel = r.int("maxParallel")
            step.wait = parsedWait[i]
            step.workflow = r.string("workflow")
            step.cache = o["cache"]?.objectValue.map { co in
                let cr = ConfigReader(co)
                return StepCachePolicy(key: cr.string("key"), ttlSeconds: cr.double("ttlSeconds") ?? 0)
            }
            steps.append(step)
            stepJSON.append(.object(o))
        }
        normalizedTop["steps"] = .array(stepJSON)
        var ordered = JSONObject()
        for f in fields { if let v = normalizedTop[f.name] { ordered[f.name] = v } }
        let def = WorkflowDefinition(inputSchema: inputSchema, steps: steps,
                                     outputs: normalizedTop["outputs"]?.objectValue,
                                     concurrency: normalizedTop["concurrency"]?.intValue.flatMap { Int(exactly: $0) },
                                     json: .object(ordered))
        return (def, [])
    }

    /// Validates and throws `invalid_params` ("invalid workflow definition") with every error.
    public static func parse(_ definition: JSON, path: String = "", lookup: ComponentLookup?) throws -> WorkflowDefinition {
        let (d, errors) = validate(definition, path: path, lookup: lookup)
        guard let d, errors.isEmpty else { throw KernelError.invalidParams("invalid workflow definition", errors: errors) }
        return d
    }

    /// Validates run inputs against the input schema (defaults applied first).
    /// Returns the inputs to run with; throws `invalid_params` with paths `inputs.x`.
    /// Warnings for run inputs the input schema does not declare, when it still allows them
    /// (no `additionalProperties: false`, which refuses them in `validateRunInputs`): a
    /// misspelt input would otherwise be silently unused.
    public func undeclaredRunInputWarnings(_ inputs: JSON, path: String = "inputs") -> [String] {
        guard let schema = inputSchema, schema.declaresProperties, case .object(let o) = inputs else { return [] }
        let declared = Set(schema.properties.map(\.name))
        return o.keys.filter { !declared.contains($0) }.map {
            "\(path).\($0): not declared by the workflow's input schema (declared: \(schema.properties.map(\.name).joined(separator: ", ")))"
        }
    }

    public func validateRunInputs(_ inputs: JSON, path: String = "inputs") throws -> JSON {
        let value = inputs.isNull ? .object(JSONObject()) : inputs
        guard let schema = inputSchema else {
            guard case .object = value else {
                throw KernelError.invalidParams("invalid run inputs", errors: [FieldError(path, "must be an object")])
            }
            return value
        }
        let filled = schema.applyingDefaults(value)
        let errors = schema.validate(filled, path: path)
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid run inputs", errors: errors) }
        return filled
    }
}

extension WorkflowDefinition {
    /// `${secrets.NAME}` in a step input the component type does not declare secret
    /// (`ComponentTypes.secretInputs`, from its plugin): one error per reference, at the input's path.
    static func secretReferenceErrors(_ inputs: JSONObject, type: ComponentType, allowed: [String], path: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (key, value) in inputs where !allowed.contains(key) {
            let (refs, _) = Template.references(in: value, path: FieldDefinition.join(path, key))
            for (rp, r) in refs where r.secretName != nil {
                let hint = allowed.isEmpty ? "\(type.rawValue) declares no secret inputs"
                    : "\(type.rawValue) declares secret only: \(allowed.joined(separator: ", "))"
                errors.append(FieldError(rp, "${\(r)} is allowed only in an input its component type declares secret (\(hint))"))
            }
        }
        return errors
    }
}
