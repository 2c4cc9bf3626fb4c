/// The `when` condition language: comparisons (`== != < <= > >=`), `&&`,
/// `||`, `!`, parentheses, literals (numbers, 'strings' / "strings", true,
/// false, null) and references (`${inputs.x}` or bare `inputs.x`,
/// `steps.a.result.ok`). Parsed into a tree and evaluated — never `eval`.
public indirect enum WhenExpression: Sendable, Equatable {
    public enum Comparison: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    case literal(JSON)
    case reference(Reference)
    case not(WhenExpression)
    case and(WhenExpression, WhenExpression)
    case or(WhenExpression, WhenExpression)
    case compare(Comparison, WhenExpression, WhenExpression)

    /// Longest expression accepted, in characters.
    public static let maxLength = 4096
    /// Deepest nesting accepted.
    public static let maxDepth = 64

    /// Every reference in the expression.
    public var references: [Reference] {
        switch self {
        case .literal: return []
        case .reference(let r): return [r]
        case .not(let e): return e.references
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b): return a.references + b.references
        }
    }
}
