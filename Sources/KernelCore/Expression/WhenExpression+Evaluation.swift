extension WhenExpression {
    /// Evaluates to a boolean (JSON truthiness: null, false, 0, "", [] and {} are false).
    public func evaluate(in context: ReferenceContext) throws -> Bool {
        WhenExpression.truthy(try value(in: context))
    }

    public func value(in context: ReferenceContext) throws -> JSON {
        switch self {
        case .literal(let v): return v
        case .reference(let r): return try r.resolve(in: context)
        case .not(let e): return .bool(!(try e.evaluate(in: context)))
        case .and(let a, let b): return .bool(try a.evaluate(in: context) && b.evaluate(in: context))
        case .or(let a, let b): return .bool(try a.evaluate(in: context) || b.evaluate(in: context))
        case .compare(let op, let a, let b):
            return .bool(try WhenExpression.compare(op, try a.value(in: context), try b.value(in: context)))
        }
    }

    public static func truthy(_ v: JSON) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0 && !d.isNaN
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    /// Deep equality where `1 == 1.0`.
    static func equal(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        default: return a == b
        }
    }

    static func compare(_ op: Comparison, _ a: JSON, _ b: JSON) throws -> Bool {
        switch op {
        case .equal: return equal(a, b)
        case .notEqual: return !equal(a, b)
        default: break
        }
        let order: Int
        switch (a, b) {
        case (.int(let x), .int(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
        case (.int, .double), (.double, .int), (.double, .double):
            let x = a.doubleValue ?? 0, y = b.doubleValue ?? 0
            order = x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            order = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : (x == y ? 0 : 1)
        default:
            throw ExpressionError("cannot compare \(a.typeName) with \(b.typeName) using '\(op.rawValue)'")
        }
        switch op {
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .equal, .notEqual: return false
        }
    }
}
