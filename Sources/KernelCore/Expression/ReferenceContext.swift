/// What references resolve against: the run's inputs and the outcomes of the
/// steps finished so far.
public struct ReferenceContext: Sendable {
    public struct StepOutcome: Sendable, Equatable {
        public var status: StepStatus
        public var result: JSON
        public var error: String?

        public init(status: StepStatus, result: JSON = .null, error: String? = nil) {
            self.status = status; self.result = result; self.error = error
        }
    }

    public var inputs: JSON
    public var steps: [String: StepOutcome]
    /// Values of blobs already loaded, by digest: a path that walks into a `BlobReference`
    /// continues in its value (`${steps.a.result.items[3]}` into a large result).
    public var blobs: [String: JSON]
    /// The current item and its position, in one item of a `forEach` step (nil elsewhere).
    public var item: JSON?
    public var index: Int?
    /// Workspace variables and secrets loaded for the step being resolved (by name).
    public var variables: [String: String]
    public var secrets: [String: String]

    public init(inputs: JSON, steps: [String: StepOutcome] = [:], blobs: [String: JSON] = [:],
                variables: [String: String] = [:], secrets: [String: String] = [:]) {
        self.inputs = inputs; self.steps = steps; self.blobs = blobs; self.variables = variables; self.secrets = secrets
    }

    /// This context seen from item `index` of a `forEach` step.
    public func forItem(_ item: JSON, index: Int) -> ReferenceContext {
        var c = self
        c.item = item
        c.index = index
        return c
    }
}

extension Reference {
    /// Resolves against a context. A missing step, result or path is an
    /// `ExpressionError` naming the reference and the missing part.
    public func resolve(in context: ReferenceContext) throws -> JSON {
        var current: JSON
        var walked: String
        switch root {
        case .inputs:
            current = context.inputs
            walked = "inputs"
        case .item:
            guard let item = context.item else { throw ExpressionError("${\(self)}: only a forEach step has an item") }
            current = item
            walked = "item"
        case .index:
            guard let index = context.index else { throw ExpressionError("${\(self)}: only a forEach step has an index") }
            return .int(Int64(index))
        case .variable(let name):
            guard let v = context.variables[name] else { throw ExpressionError("${\(self)}: no variable named '\(name)' (mcpk vars set \(name) VALUE)") }
            return .string(v)
        case .secret(let name):
            guard let v = context.secrets[name] else { throw ExpressionError("${\(self)}: no secret named '\(name)' (mcpk secrets set \(name))") }
            return .string(v)
        case .step(let id, let field):
            guard let outcome = context.steps[id] else {
                throw ExpressionError("${\(self)}: step '\(id)' has not run")
            }
            switch field {
            case .status: return .string(outcome.status.rawValue)
            case .error: return outcome.error.map(JSON.string) ?? .null
            case .result:
                guard outcome.status.isSuccess else {
                    throw ExpressionError("${\(self)}: step '\(id)' has no result (status \(outcome.status.rawValue))")
                }
                current = outcome.result
                walked = "steps.\(id).result"
            }
        }
        for segment in path {
            if let ref = BlobReference(current) {
                guard let loaded = context.blobs[ref.digest] else {
                    throw ExpressionError("${\(self)}: \(walked) is a stored value (\(BlobReference.describe(bytes: ref.size))) not loaded yet",
                                          blob: ref.digest)
                }
                current = loaded
            }
            switch (segment, current) {
            case (.key(let k), .object(let o)):
                guard let next = o[k] else { throw ExpressionError("${\(self)}: \(walked) has no field '\(k)'") }
                current = next
            case (.key(let k), .array(let a)):
                guard let i = Int(k) else { throw ExpressionError("${\(self)}: \(walked) is an array, not an object") }
                guard i >= 0, i < a.count else {
                    throw ExpressionError("${\(self)}: \(walked) has no index \(i) (length \(a.count))")
                }
                current = a[i]
            case (.index(let i), .array(let a)):
                guard i >= 0, i < a.count else {
                    throw ExpressionError("${\(self)}: \(walked) has no index \(i) (length \(a.count))")
                }
                current = a[i]
            case (.index, _):
                throw ExpressionError("${\(self)}: \(walked) is \(Reference.article(current.typeName)), not an array")
            case (.key(let k), _):
                throw ExpressionError("${\(self)}: \(walked) is \(Reference.article(current.typeName)), so it has no field '\(k)'")
            }
            walked += Reference.pathText([segment])
        }
        return current
    }

    static func article(_ typeName: String) -> String {
        typeName == "null" ? "null" : (["a", "e", "i", "o", "u"].contains(typeName.first.map(String.init) ?? "") ? "an " : "a ") + typeName
    }
}
