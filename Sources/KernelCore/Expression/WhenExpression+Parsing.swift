extension WhenExpression {
    enum Token: Equatable {
        case literal(JSON)
        case reference(Reference)
        case op(String)   // == != < <= > >= && || ! ( )
        case end
    }

    /// Parses an expression; errors name the position (1-based character).
    public static func parse(_ text: String) throws -> WhenExpression {
        guard text.count <= maxLength else { throw ExpressionError("expression longer than \(maxLength) characters") }
        let tokens = try tokenize(text)
        var p = Parser(tokens: tokens)
        let e = try p.expression(depth: 0)
        guard case .end = p.peek.token else {
            throw ExpressionError("unexpected \(p.describe(p.peek.token)) at character \(p.peek.at)")
        }
        return e
    }

    static func tokenize(_ text: String) throws -> [(token: Token, at: Int)] {
        let c = Array(text)
        var i = 0
        var out: [(Token, Int)] = []
        while i < c.count {
            let ch = c[i]
            let at = i + 1
            if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" { i += 1; continue }
            func peek(_ k: Int) -> Character? { i + k < c.count ? c[i + k] : nil }
            switch ch {
            case "(", ")":
                out.append((.op(String(ch)), at)); i += 1
            case "!":
                if peek(1) == "=" { out.append((.op("!="), at)); i += 2 } else { out.append((.op("!"), at)); i += 1 }
            case "=":
                guard peek(1) == "=" else { throw ExpressionError("expected '==' at character \(at)") }
                out.append((.op("=="), at)); i += 2
            case "<", ">":
                if peek(1) == "=" { out.append((.op(String(ch) + "="), at)); i += 2 } else { out.append((.op(String(ch)), at)); i += 1 }
            case "&":
                guard peek(1) == "&" else { throw ExpressionError("expected '&&' at character \(at)") }
                out.append((.op("&&"), at)); i += 2
            case "|":
                guard peek(1) == "|" else { throw ExpressionError("expected '||' at character \(at)") }
                out.append((.op("||"), at)); i += 2
            case "'", "\"":
                var s = ""
                var j = i + 1
                var closed = false
                while j < c.count {
                    if c[j] == "\\" && j + 1 < c.count {
                        switch c[j + 1] {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        default: s.append(c[j + 1])
                        }
                        j += 2; continue
                    }
                    if c[j] == ch { closed = true; break }
                    s.append(c[j]); j += 1
                }
                guard closed else { throw ExpressionError("unterminated string at character \(at)") }
                out.append((.literal(.string(s)), at)); i = j + 1
            case "$":
                guard peek(1) == "{" else { throw ExpressionError("expected '${' at character \(at)") }
                var j = i + 2
                var quote: Character?
                while j < c.count {
                    if let q = quote { if c[j] == q { quote = nil } } else if c[j] == "\"" || c[j] == "'" { quote = c[j] } else if c[j] == "}" { break }
                    j += 1
                }
                guard j < c.count else { throw ExpressionError("unterminated '${' at character \(at)") }
                out.append((.reference(try Reference.parse(String(c[(i + 2)..<j]))), at)); i = j + 1
            default:
                if ch.isNumber || (ch == "-" && (peek(1)?.isNumber ?? false)) {
                    var j = i + 1
                    while j < c.count && (c[j].isNumber || c[j] == "." || c[j] == "e" || c[j] == "E"
                                          || ((c[j] == "-" || c[j] == "+") && (c[j - 1] == "e" || c[j - 1] == "E"))) { j += 1 }
                    let s = String(c[i..<j])
                    if let n = Int64(s) { out.append((.literal(.int(n)), at)) }
                    else if let d = Double(s), d.isFinite { out.append((.literal(.double(d)), at)) }
                    else { throw ExpressionError("invalid number '\(s)' at character \(at)") }
                    i = j
                } else if ch.isLetter || ch == "_" {
                    var j = i
                    var quote: Character?
                    var bracket = 0
                    while j < c.count {
                        let x = c[j]
                        if let q = quote { if x == q { quote = nil }; j += 1; continue }
                        if bracket > 0 {
                            if x == "\"" || x == "'" { quote = x } else if x == "]" { bracket -= 1 }
                            j += 1; continue
                        }
                        if Reference.isIdentifierChar(x) || x == "." { j += 1; continue }
                        if x == "[" { bracket += 1; j += 1; continue }
                        break
                    }
                    let word = String(c[i..<j])
                    switch word {
                    case "true": out.append((.literal(.bool(true)), at))
                    case "false": out.append((.literal(.bool(false)), at))
                    case "null": out.append((.literal(.null), at))
                    case "and", "or", "not":
                        throw ExpressionError("use '&&', '||' and '!' instead of '\(word)' (character \(at))")
                    default:
                        out.append((.reference(try Reference.parse(word)), at))
                    }
                    i = j
                } else {
                    throw ExpressionError("unexpected character '\(ch)' at character \(at)")
                }
            }
        }
        out.append((.end, c.count + 1))
        return out
    }

    struct Parser {
        let tokens: [(token: Token, at: Int)]
        var pos = 0

        var peek: (token: Token, at: Int) { tokens[min(pos, tokens.count - 1)] }

        func describe(_ t: Token) -> String {
            switch t {
            case .literal(let v): return "value \(v.serialized())"
            case .reference(let r): return "reference \(r)"
            case .op(let o): return "'\(o)'"
            case .end: return "end of expression"
            }
        }

        mutating func take(_ op: String) -> Bool {
            if case .op(let o) = peek.token, o == op { pos += 1; return true }
            return false
        }

        mutating func expression(depth: Int) throws -> WhenExpression {
            guard depth <= WhenExpression.maxDepth else {
                throw ExpressionError("expression nested deeper than \(WhenExpression.maxDepth)")
            }
            var left = try andExpression(depth: depth)
            while take("||") { left = .or(left, try andExpression(depth: depth)) }
            return left
        }

        mutating func andExpression(depth: Int) throws -> WhenExpression {
            var left = try unary(depth: depth)
            while take("&&") { left = .and(left, try unary(depth: depth)) }
            return left
        }

        mutating func unary(depth: Int) throws -> WhenExpression {
            if take("!") {
                guard depth < WhenExpression.maxDepth else {
                    throw ExpressionError("expression nested deeper than \(WhenExpression.maxDepth)")
                }
                return .not(try unary(depth: depth + 1))
            }
            return try comparison(depth: depth)
        }

        mutating func comparison(depth: Int) throws -> WhenExpression {
            let left = try primary(depth: depth)
            if case .op(let o) = peek.token, let cmp = Comparison(rawValue: o) {
                pos += 1
                let right = try primary(depth: depth)
                if case .op(let o2) = peek.token, Comparison(rawValue: o2) != nil {
                    throw ExpressionError("chained comparison at character \(peek.at); use '&&'")
                }
                return .compare(cmp, left, right)
            }
            return left
        }

        mutating func primary(depth: Int) throws -> WhenExpression {
            let t = peek
            switch t.token {
            case .literal(let v): pos += 1; return .literal(v)
            case .reference(let r): pos += 1; return .reference(r)
            case .op("("):
                pos += 1
                let e = try expression(depth: depth + 1)
                guard take(")") else { throw ExpressionError("expected ')' at character \(peek.at)") }
                return e
            case .op("!"):
                return try unary(depth: depth)
            default:
                throw ExpressionError("expected a value at character \(t.at), found \(describe(t.token))")
            }
        }
    }
}
