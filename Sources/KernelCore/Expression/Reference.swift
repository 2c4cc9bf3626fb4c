/// A data reference: `inputs.x.y`, `inputs.items[0]`, `steps.<id>.result.path`,
/// `steps.<id>.status`, `steps.<id>.error`, in a `forEach` step `item.path` (the item) and
/// `index` (its position, from 0), `vars.NAME` (a workspace variable) and `secrets.NAME` (a
/// workspace secret; only in inputs a component type declares secret, `ComponentTypes.secretInputs`).
/// Written as `${…}` inside strings.
public struct Reference: Sendable, Equatable, CustomStringConvertible {
    /// Longest reference text accepted.
    public static let maxLength = 1024
    /// Longest step id.
    public static let maxStepIDLength = 64

    public enum Root: Sendable, Equatable {
        case inputs
        case step(id: String, field: StepField)
        /// The current item of a `forEach` step.
        case item
        /// The current item's position (0-based) in a `forEach` step.
        case index
        /// `${vars.NAME}`: a workspace variable (text).
        case variable(name: String)
        /// `${secrets.NAME}`: a workspace secret (text), redacted wherever the run is recorded.
        case secret(name: String)
    }

    /// Longest secret or variable name.
    public static let maxValueNameLength = 128

    /// Whether `name` is a valid secret/variable name: starts with a letter or `_`, then letters,
    /// digits, `_` and `-`, at most `maxValueNameLength` characters.
    public static func isValidValueName(_ name: String) -> Bool {
        guard let f = name.first, f.isASCII, f.isLetter || f == "_", name.count <= maxValueNameLength else { return false }
        return name.allSatisfy(isIdentifierChar)
    }

    /// The secret this reference reads, if any.
    public var secretName: String? {
        if case .secret(let n) = root { return n }
        return nil
    }

    /// The variable this reference reads, if any.
    public var variableName: String? {
        if case .variable(let n) = root { return n }
        return nil
    }

    /// What a step reference reads.
    public enum StepField: String, Sendable, CaseIterable {
        case result, status, error
    }

    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public let root: Root
    public let path: [Segment]

    public init(root: Root, path: [Segment] = []) { self.root = root; self.path = path }

    /// The step this reference reads, if any.
    public var stepID: String? {
        if case .step(let id, _) = root { return id }
        return nil
    }

    /// Canonical text without `${}`: `steps.a.result.items[0].name`.
    public var description: String {
        var s: String
        switch root {
        case .inputs: s = "inputs"
        case .step(let id, let field): s = "steps.\(id).\(field.rawValue)"
        case .item: s = "item"
        case .index: s = "index"
        case .variable(let name): s = "vars." + name
        case .secret(let name): s = "secrets." + name
        }
        s += Reference.pathText(path)
        return s
    }

    static func pathText(_ path: [Segment]) -> String {
        var s = ""
        for seg in path {
            switch seg {
            case .key(let k): s += Reference.isIdentifier(k) ? "." + k : "[\"" + k + "\"]"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    static func isIdentifierChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
    }

    static func isIdentifier(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy(isIdentifierChar) }

    /// Whether `id` is a valid step id: starts with a letter or `_`, then letters, digits, `_`, `-`.
    public static func isValidStepID(_ id: String) -> Bool {
        guard let f = id.first, f.isASCII, f.isLetter || f == "_", id.count <= maxStepIDLength else { return false }
        return id.allSatisfy(isIdentifierChar)
    }

    /// Parses reference text (without the `${` `}`).
    public static func parse(_ text: String) throws -> Reference {
        guard text.count <= maxLength else { throw ExpressionError("reference longer than \(maxLength) characters") }
        let chars = Array(text)
        var pos = 0
        while pos < chars.count && chars[pos] == " " { pos += 1 }
        var end = chars.count
        while end > pos && chars[end - 1] == " " { end -= 1 }
        var parser = Parser(chars: Array(chars[pos..<end]), text: text)
        return try parser.parse()
    }

    private struct Parser {
        let chars: [Character]
        let text: String
        var pos = 0

        mutating func identifier() -> String {
            let start = pos
            while pos < chars.count && Reference.isIdentifierChar(chars[pos]) { pos += 1 }
            return String(chars[start..<pos])
        }

        func fail(_ m: String) -> ExpressionError { ExpressionError("invalid reference '\(text)': \(m)") }

        mutating func parse() throws -> Reference {
            let root = identifier()
            switch root {
            case "inputs":
                return Reference(root: .inputs, path: try segments())
            case "steps":
                guard pos < chars.count, chars[pos] == "." else { throw fail("expected '.<step id>' after 'steps'") }
                pos += 1
                let id = identifier()
                guard Reference.isValidStepID(id) else { throw fail("expected a step id after 'steps.'") }
                guard pos < chars.count, chars[pos] == "." else {
                    throw fail("expected .result, .status or .error after 'steps.\(id)'")
                }
                pos += 1
                let fieldName = identifier()
                guard let field = StepField(rawValue: fieldName) else {
                    throw fail("expected .result, .status or .error after 'steps.\(id)'")
                }
                let path = try segments()
                if field != .result && !path.isEmpty { throw fail("'steps.\(id).\(field.rawValue)' has no fields") }
                return Reference(root: .step(id: id, field: field), path: path)
            case "item":
                return Reference(root: .item, path: try segments())
            case "index":
                guard pos == chars.count else { throw fail("'index' has no fields") }
                return Reference(root: .index)
            case "vars", "secrets":
                guard pos < chars.count, chars[pos] == "." else { throw fail("expected '.<name>' after '\(root)'") }
                pos += 1
                let name = identifier()
                guard Reference.isValidValueName(name) else {
                    throw fail("expected a name after '\(root).' (a letter or '_', then letters, digits, '_' and '-')")
                }
                guard pos == chars.count else { throw fail("'\(root).\(name)' is text and has no fields") }
                return Reference(root: root == "vars" ? .variable(name: name) : .secret(name: name))
            case "":
                throw fail("expected 'inputs', 'steps', 'item', 'index', 'vars' or 'secrets'")
            default:
                throw fail("unknown root '\(root)' (expected 'inputs', 'steps', 'item', 'index', 'vars' or 'secrets')")
            }
        }

        mutating func segments() throws -> [Segment] {
            var out: [Segment] = []
            while pos < chars.count {
                switch chars[pos] {
                case ".":
                    pos += 1
                    let name = identifier()
                    guard !name.isEmpty else { throw fail("expected a name after '.'") }
                    out.append(.key(name))
                case "[":
                    pos += 1
                    guard pos < chars.count else { throw fail("unterminated '['") }
                    if chars[pos] == "\"" || chars[pos] == "'" {
                        let quote = chars[pos]
                        pos += 1
                        let start = pos
                        while pos < chars.count && chars[pos] != quote { pos += 1 }
                        guard pos < chars.count else { throw fail("unterminated string key") }
                        out.append(.key(String(chars[start..<pos])))
                        pos += 1
                    } else {
                        let start = pos
                        while pos < chars.count && chars[pos].isASCII && chars[pos].isNumber { pos += 1 }
                        guard pos > start, let i = Int(String(chars[start..<pos])) else {
                            throw fail("expected an index or a quoted key in '[]'")
                        }
                        out.append(.index(i))
                    }
                    guard pos < chars.count, chars[pos] == "]" else { throw fail("expected ']'") }
                    pos += 1
                default:
                    throw fail("unexpected '\(chars[pos])'")
                }
            }
            return out
        }
    }
}
