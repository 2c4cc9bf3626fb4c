/// The applicators of `JSONSchema`: `allOf`, `anyOf`, `oneOf` (with a discriminator),
/// `if` / `then` / `else`, `dependentRequired`, and `format`. Every error is reported
/// with its path; the messages say which branch or condition applied.
extension JSONSchema {
    func validateLogic(_ value: JSON, path: String, errors: inout [FieldError]) {
        if case .string(let s) = value {
            if let f = logic.format, let problem = JSONSchemaFormat.standardProblem(f, s), !s.isEmpty {
                // A kernel format refines the standard one (an http URL is a URI): report the precise message once.
                if logic.mcpkFormat == nil { errors.append(FieldError(path, problem)) }
            }
            if let f = logic.mcpkFormat.flatMap(JSONSchemaFormat.init(rawValue:)) { errors += f.problems(s, path: path) }
        }
        for s in logic.allOf { s.validate(value, path: path, errors: &errors) }
        if !logic.anyOf.isEmpty, !logic.anyOf.contains(where: { $0.validate(value, path: path).isEmpty }) {
            if let names = JSONSchema.requiredAlternatives(logic.anyOf) {
                errors.append(FieldError(path, "requires one of: " + names.joined(separator: ", ")))
            } else {
                // The branch that came closest says what is missing.
                let best = logic.anyOf.map { $0.validate(value, path: path) }.min { $0.count < $1.count } ?? []
                errors.append(FieldError(path, "must match at least one of \(logic.anyOf.count) alternatives"))
                errors += best
            }
        }
        if !logic.oneOf.isEmpty { validateOneOf(value, path: path, errors: &errors) }
        if let condition = logic.ifSchema {
            if condition.validate(value, path: path).isEmpty {
                if let then = logic.thenSchema {
                    let when = JSONSchema.constCondition(condition).map { " when \($0.0) is \($0.1)" } ?? " (if matched)"
                    for e in then.validate(value, path: path) {
                        errors.append(FieldError(e.path, e.message == "is required" ? e.message + when : e.message))
                    }
                }
            } else if let otherwise = logic.elseSchema {
                otherwise.validate(value, path: path, errors: &errors)
            }
        }
        if case .object(let o) = value {
            for (name, needed) in logic.dependentRequired where o[name].map({ !$0.isNull }) ?? false {
                for n in needed where o[n].map({ $0.isNull }) ?? true {
                    errors.append(FieldError(FieldDefinition.join(path, n), "is required when \(name) is set"))
                }
            }
        }
    }

    private func validateOneOf(_ value: JSON, path: String, errors: inout [FieldError]) {
        if let d = logic.discriminator, case .object(let o) = value {
            let consts = logic.oneOf.map { $0.property(d)?.enumValues?.first }
            let dPath = FieldDefinition.join(path, d)
            let names = consts.compactMap { $0?.stringValue ?? $0?.serialized() }
            guard let v = o[d], !v.isNull else {
                errors.append(FieldError(dPath, "is required; one of: " + names.joined(separator: ", ")))
                return
            }
            guard let i = consts.firstIndex(where: { $0.map { WhenExpression.equal($0, v) } ?? false }) else {
                errors.append(FieldError(dPath, "must be one of: " + names.joined(separator: ", ")))
                return
            }
            logic.oneOf[i].validate(value, path: path, errors: &errors)
            return
        }
        let results = logic.oneOf.map { $0.validate(value, path: path) }
        let matching = results.filter(\.isEmpty).count
        if matching == 1 { return }
        if matching == 0 {
            errors.append(FieldError(path, "must match exactly one of \(logic.oneOf.count) alternatives (matches none)"))
            errors += results.min { $0.count < $1.count } ?? []
        } else {
            errors.append(FieldError(path, "must match exactly one of \(logic.oneOf.count) alternatives (matches \(matching))"))
        }
    }

    /// `anyOf: [{"required":["a"]}, {"required":["b"]}]` → ["a", "b"].
    static func requiredAlternatives(_ branches: [JSONSchema]) -> [String]? {
        var names: [String] = []
        for b in branches {
            guard let o = b.json.objectValue, o.count == 1, b.required.count == 1 else { return nil }
            names.append(b.required[0])
        }
        return names
    }

    /// `if: {"properties": {"f": {"const": v}}, "required": ["f"]}` → (f, v).
    static func constCondition(_ s: JSONSchema) -> (String, String)? {
        guard s.properties.count == 1, let (name, sub) = s.properties.first.map({ ($0.name, $0.schema) }),
              let values = sub.enumValues, values.count == 1 else { return nil }
        return (name, values[0].stringValue ?? values[0].serialized())
    }

    /// The property every branch fixes with `const` (a single-value `enum`), if any.
    static func commonConst(_ branches: [JSONSchema]) -> String? {
        guard let first = branches.first else { return nil }
        for (name, _) in first.properties {
            if branches.allSatisfy({ $0.property(name)?.enumValues?.count == 1 }) { return name }
        }
        return nil
    }
}
