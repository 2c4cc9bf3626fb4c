/// A string with `${…}` references. A string that is exactly one reference
/// resolves to the referenced JSON value (keeping its type); references
/// embedded in text are interpolated (strings as-is, other values as compact
/// JSON). `$${` is a literal `${`.
public struct Template: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case reference(Reference)
    }

    public let parts: [Part]

    /// Whether the text contains any reference (cheap pre-check).
    public static func containsReference(_ text: String) -> Bool { text.contains("${") }

    public static func parse(_ text: String) throws -> Template {
        var parts: [Part] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "$" && i + 2 < chars.count && chars[i + 1] == "$" && chars[i + 2] == "{" {
                literal += "${"; i += 3; continue
            }
            if chars[i] == "$" && i + 1 < chars.count && chars[i + 1] == "{" {
                var j = i + 2
                var quote: Character?
                while j < chars.count {
                    let c = chars[j]
                    if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "}" { break }
                    j += 1
                }
                guard j < chars.count else { throw ExpressionError("unterminated '${' at character \(i + 1)") }
                let inner = String(chars[(i + 2)..<j])
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                parts.append(.reference(try Reference.parse(inner)))
                i = j + 1
                continue
            }
            literal.append(chars[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return Template(parts: parts)
    }

    public var references: [Reference] {
        parts.compactMap { if case .reference(let r) = $0 { return r }; return nil }
    }

    public func resolve(in context: ReferenceContext) throws -> JSON {
        if parts.count == 1, case .reference(let r) = parts[0] { return try r.resolve(in: context) }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .reference(let r):
                var v = try r.resolve(in: context)
                // Text interpolation needs the value itself, not its reference.
                if let ref = BlobReference(v) {
                    guard let loaded = context.blobs[ref.digest] else {
                        throw ExpressionError("${\(r)} is a stored value (\(BlobReference.describe(bytes: ref.size))) not loaded yet", blob: ref.digest)
                    }
                    v = loaded
                }
                if case .string(let s) = v { out += s } else { out += v.serialized() }
            }
        }
        return .string(out)
    }

    /// Resolves every string leaf of a JSON value (objects and arrays are walked).
    public static func resolveValue(_ value: JSON, in context: ReferenceContext) throws -> JSON {
        switch value {
        case .string(let s):
            guard containsReference(s) else { return value }
            return try parse(s).resolve(in: context)
        case .array(let a):
            return .array(try a.map { try resolveValue($0, in: context) })
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o { out[k] = try resolveValue(v, in: context) }
            return .object(out)
        default:
            return value
        }
    }

    /// Every reference in a JSON value's string leaves, with the JSON path of
    /// the leaf; parse errors are reported at their path.
    public static func references(in value: JSON, path: String) -> (refs: [(path: String, ref: Reference)], errors: [FieldError]) {
        var refs: [(String, Reference)] = []
        var errors: [FieldError] = []
        func walk(_ v: JSON, _ p: String) {
            switch v {
            case .string(let s):
                guard containsReference(s) else { return }
                do { for r in try parse(s).references { refs.append((p, r)) } }
                catch { errors.append(FieldError(p, "\(error)")) }
            case .array(let a): for (i, x) in a.enumerated() { walk(x, "\(p)[\(i)]") }
            case .object(let o): for (k, x) in o { walk(x, FieldDefinition.join(p, k)) }
            default: break
            }
        }
        walk(value, path)
        return (refs, errors)
    }
}
