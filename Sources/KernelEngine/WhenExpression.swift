import KernelCore

/// A step's `when`: a simple expression over inputs and results.
///
/// Grammar: `or := and ('||' and)*`, `and := cmp ('&&' cmp)*`,
/// `cmp := ['!'] operand [op operand]` with op one of `== != > >= < <=`; an operand is a
/// `${…}` reference or a JSON literal (number, "string", true, false, null). A lone operand
/// is tested for truthiness (null, false, 0, "", [] and {} are false).
public indirect enum WhenExpression: Sendable, Equatable {
    case operand(Operand)
    case not(WhenExpression)
    case compare(Operand, String, Operand)
    case and([WhenExpression])
    case or([WhenExpression])

    public enum Operand: Sendable, Equatable {
        case reference(String)
        case literal(JSON)
    }

    static let operators = ["==", "!=", ">=", "<=", ">", "<"]

    public static func parse(_ text: String) throws -> WhenExpression {
        let ors = split(text, on: "||")
        if ors.count > 1 { return .or(try ors.map { try parse($0) }) }
        let ands = split(text, on: "&&")
        if ands.count > 1 { return .and(try ands.map { try parse($0) }) }
        var t = text.trimmed
        guard !t.isEmpty else { throw KernelError.invalidParams("empty expression") }
        if t.hasPrefix("!") && !t.hasPrefix("!=") {
            t.removeFirst()
            return .not(try parse(t))
        }
        for op in operators {
            let parts = split(t, on: op)
            if parts.count == 2 {
                return .compare(try operand(parts[0]), op, try operand(parts[1]))
            }
            if parts.count > 2 { throw KernelError.invalidParams("more than one '\(op)' in '\(text)'") }
        }
        return .operand(try operand(t))
    }

    /// Splits outside `${…}` and quoted strings.
    static func split(_ s: String, on sep: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quoted = false
        let chars = Array(s)
        let sepChars = Array(sep)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                current.append(c)
                if c == "\\", i + 1 < chars.count { current.append(chars[i + 1]); i += 2; continue }
                if c == "\"" { quoted = false }
                i += 1; continue
            }
            if c == "\"" { quoted = true; current.append(c); i += 1; continue }
            if c == "$", i + 1 < chars.count, chars[i + 1] == "{" { depth += 1 }
            if c == "}", depth > 0 { depth -= 1 }
            if depth == 0, i + sepChars.count <= chars.count, Array(chars[i..<(i + sepChars.count)]) == sepChars {
                // `>=`/`<=`/`!=` must not be read as `>`/`<`/`=` pieces.
                let next = i + sepChars.count < chars.count ? chars[i + sepChars.count] : " "
                let prev = i > 0 ? chars[i - 1] : " "
                if (sep == ">" || sep == "<") && next == "=" { current.append(c); i += 1; continue }
                if sep == "==" && (prev == "!" || prev == ">" || prev == "<") { current.append(c); i += 1; continue }
                parts.append(current)
                current = ""
                i += sepChars.count
                continue
            }
            current.append(c)
            i += 1
        }
        parts.append(current)
        return parts
    }

    static func operand(_ raw: String) throws -> Operand {
        let s = raw.trimmed
        if s.hasPrefix("${") && s.hasSuffix("}") {
            let inner = String(s.dropFirst(2).dropLast())
            _ = try StepInputResolver.parseReference(inner)
            return .reference(inner)
        }
        do { return .literal(try JSONParser.parse(s)) } catch {
            throw KernelError.invalidParams("'\(s)' is neither a ${…} reference nor a JSON literal")
        }
    }

    /// Evaluates against resolved inputs/results. A missing reference is an error.
    public func evaluate(_ resolver: StepInputResolver) throws -> Bool {
        switch self {
        case .operand(let o): return WhenExpression.truthy(try value(o, resolver))
        case .not(let e): return !(try e.evaluate(resolver))
        case .and(let es): return try es.allSatisfy { try $0.evaluate(resolver) }
        case .or(let es): return try es.contains { try $0.evaluate(resolver) }
        case .compare(let a, let op, let b):
            let l = try value(a, resolver), r = try value(b, resolver)
            switch op {
            case "==": return WhenExpression.equal(l, r)
            case "!=": return !WhenExpression.equal(l, r)
            default:
                if let x = l.doubleValue, let y = r.doubleValue {
                    switch op { case ">": return x > y; case ">=": return x >= y; case "<": return x < y; default: return x <= y }
                }
                if let x = l.stringValue, let y = r.stringValue {
                    switch op { case ">": return x > y; case ">=": return x >= y; case "<": return x < y; default: return x <= y }
                }
                throw KernelError.invalidParams("cannot compare \(l.typeName) \(op) \(r.typeName)")
            }
        }
    }

    private func value(_ o: Operand, _ resolver: StepInputResolver) throws -> JSON {
        switch o {
        case .literal(let j): return j
        case .reference(let r): return try resolver.value(of: StepInputResolver.parseReference(r), text: r)
        }
    }

    static func equal(_ a: JSON, _ b: JSON) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    static func truthy(_ v: JSON) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}
