import KernelCore

/// A parsed, checked workflow definition: steps in a valid topological order.
///
/// Definition shape (DESIGN.md §8): `{inputs?: JSON Schema, steps: [...], outputs?: {name: "${…}"},
/// concurrency?: n}`.
public struct WorkflowPlan: Sendable, Equatable {
    /// Steps in topological order (each after everything it needs).
    public var steps: [StepDefinition]
    public var inputSchema: JSON
    public var outputs: JSON?
    /// Max concurrent runs of this workflow; nil = unlimited.
    public var concurrency: Int?

    public func step(_ id: String) -> StepDefinition? { steps.first { $0.id == id } }

    /// Ids of steps nothing else needs.
    public var leafIDs: [String] {
        let needed = Set(steps.flatMap(\.needs))
        return steps.map(\.id).filter { !needed.contains($0) }
    }

    public static func parse(_ definition: JSON) throws -> WorkflowPlan {
        func bad(_ path: String, _ message: String) -> KernelError {
            .invalidParams("invalid workflow definition", errors: [FieldError(path, message)])
        }
        guard case .object = definition else { throw bad("definition", "must be an object") }
        guard let rawSteps = definition["steps"]?.arrayValue else { throw bad("steps", "is required (an array)") }
        guard !rawSteps.isEmpty else { throw bad("steps", "must contain at least one step") }
        guard rawSteps.count <= EngineLimits.maxStepsPerWorkflow else {
            throw bad("steps", "at most \(EngineLimits.maxStepsPerWorkflow) steps")
        }
        let parsed = try rawSteps.enumerated().map { try StepDefinition.parse($1, index: $0) }
        var index: [String: Int] = [:]
        for (i, s) in parsed.enumerated() {
            if index[s.id] != nil { throw bad("steps.\(i).id", "duplicate step id '\(s.id)'") }
            index[s.id] = i
        }
        for (i, s) in parsed.enumerated() {
            for (j, n) in s.needs.enumerated() {
                if index[n] == nil { throw bad("steps.\(i).needs.\(j)", "unknown step '\(n)'") }
                if n == s.id { throw bad("steps.\(i).needs.\(j)", "a step cannot need itself") }
            }
            for ref in StepInputResolver.references(in: s.inputs) + (s.when.map { StepInputResolver.references(in: .string($0)) } ?? []) {
                if case .step(let other, _) = ref {
                    guard index[other] != nil else { throw bad("steps.\(i).inputs", "reference to unknown step '\(other)'") }
                    guard StepDefinition.dependsTransitively(s.id, on: other, steps: parsed, index: index) else {
                        throw bad("steps.\(i).inputs", "references step '\(other)' which is not in its needs")
                    }
                }
            }
        }
        // Kahn's algorithm, stable in definition order.
        var indegree = parsed.map { $0.needs.count }
        var order: [StepDefinition] = []
        var done = Set<String>()
        while order.count < parsed.count {
            guard let next = parsed.indices.first(where: { indegree[$0] == 0 && !done.contains(parsed[$0].id) }) else {
                let cyclic = parsed.filter { !done.contains($0.id) }.map(\.id)
                throw bad("steps", "dependency cycle among: \(cyclic.joined(separator: ", "))")
            }
            let s = parsed[next]
            done.insert(s.id)
            order.append(s)
            for (i, other) in parsed.enumerated() where other.needs.contains(s.id) { indegree[i] -= 1 }
        }
        var plan = WorkflowPlan(steps: order, inputSchema: definition["inputs"] ?? ["type": "object"], outputs: nil, concurrency: nil)
        if let o = definition["outputs"], !o.isNull {
            guard case .object = o else { throw bad("outputs", "must be an object of name → \"${…}\" references") }
            for ref in StepInputResolver.references(in: o) {
                if case .step(let other, _) = ref, index[other] == nil {
                    throw bad("outputs", "reference to unknown step '\(other)'")
                }
            }
            plan.outputs = o
        }
        if let c = definition["concurrency"], !c.isNull {
            guard let n = c.intValue, n >= 1 else { throw bad("concurrency", "must be a positive integer") }
            plan.concurrency = Int(n)
        }
        if let schema = definition["inputs"], !schema.isNull {
            guard case .object = schema else { throw bad("inputs", "must be a JSON Schema object") }
        }
        return plan
    }
}

extension StepDefinition {
    static func dependsTransitively(_ id: String, on other: String, steps: [StepDefinition], index: [String: Int]) -> Bool {
        var stack = [id]
        var seen = Set<String>()
        while let cur = stack.popLast() {
            guard let i = index[cur] else { continue }
            for n in steps[i].needs {
                if n == other { return true }
                if seen.insert(n).inserted { stack.append(n) }
            }
        }
        return false
    }
}
