/// A parser for the YAML subset used by MCP server configurations: block
/// mappings and sequences (indentation-based), flow sequences `[a, b]` and
/// flow mappings `{k: v}`, plain / single-quoted / double-quoted scalars,
/// literal (`|`) and folded (`>`) block scalars, `#` comments and a leading
/// `---`. Anchors, tags, multi-document streams and complex keys are not
/// supported and are reported as errors rather than misread.
public enum YAMLSubset {
    /// Deepest nesting accepted.
    public static let maxDepth = 64
    /// Largest document accepted, in bytes.
    public static let maxBytes = 1 << 20

    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses a document into JSON (mappings keep their key order).
    public static func parse(_ text: String) throws -> JSON {
        guard text.utf8.count <= maxBytes else { throw Error(line: 1, message: "document larger than \(maxBytes) bytes") }
        var p = Parser(text)
        return try p.document()
    }

    struct Line {
        let number: Int
        let indent: Int
        /// Content after the indentation, comment removed, trailing blanks trimmed.
        let content: Substring
        /// The raw line (for block scalars).
        let raw: Substring
    }

    struct Parser {
        var lines: [Line] = []
        var index = 0
        var depth = 0

        init(_ text: String) {
            var n = 0
            for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
                n += 1
                var raw = rawLine
                if raw.hasSuffix("\r") { raw = raw.dropLast() }
                let indent = raw.prefix(while: { $0 == " " }).count
                let body = YAMLSubset.stripComment(raw.dropFirst(indent))
                lines.append(Line(number: n, indent: indent, content: body, raw: raw))
            }
        }

        func fail(_ message: String, at line: Int? = nil) -> Error {
            Error(line: line ?? (index < lines.count ? lines[index].number : (lines.last?.number ?? 1)), message: message)
        }

        mutating func skipBlank() {
            while index < lines.count && lines[index].content.isEmpty { index += 1 }
        }

        mutating func document() throws -> JSON {
            skipBlank()
            if index < lines.count, lines[index].content == "---", lines[index].indent == 0 { index += 1; skipBlank() }
            guard index < lines.count else { return .null }
            if lines[index].raw.contains("\t") && lines[index].raw.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                throw fail("tabs are not allowed for indentation")
            }
            let value = try block(indent: lines[index].indent)
            skipBlank()
            if index < lines.count {
                if lines[index].content == "---" { throw fail("multiple documents are not supported") }
                throw fail("unexpected content (bad indentation?)")
            }
            return value
        }

        /// Parses the block starting at the current line, whose indentation is `indent`.
        mutating func block(indent: Int) throws -> JSON {
            depth += 1
            defer { depth -= 1 }
            guard depth <= YAMLSubset.maxDepth else { throw fail("nesting deeper than \(YAMLSubset.maxDepth)") }
            skipBlank()
            guard index < lines.count else { return .null }
            let line = lines[index]
            if line.content.first == "\t" { throw fail("tabs are not allowed for indentation") }
            if YAMLSubset.isSequenceItem(line.content) { return try sequence(indent: indent) }
            if YAMLSubset.splitKey(line.content) != nil { return try mapping(indent: indent) }
            // A lone scalar or flow value.
            index += 1
            return try YAMLSubset.flowValue(line.content, line: line.number)
        }

        mutating func sequence(indent: Int) throws -> JSON {
            var items: [JSON] = []
            while true {
                skipBlank()
                guard index < lines.count else { break }
                let line = lines[index]
                if line.indent < indent || (line.indent == 0 && line.content == "---") { break }
                if line.indent > indent { throw fail("unexpected indentation") }
                guard YAMLSubset.isSequenceItem(line.content) else {
                    if YAMLSubset.splitKey(line.content) != nil { break }  // mapping key at same indent ends a compact sequence
                    throw fail("expected '- ' item")
                }
                let rest = line.content.dropFirst(1)
                let spaces = rest.prefix(while: { $0 == " " }).count
                let value = rest.dropFirst(spaces)
                if value.isEmpty {
                    index += 1
                    skipBlank()
                    if index < lines.count && lines[index].indent > indent {
                        items.append(try block(indent: lines[index].indent))
                    } else {
                        items.append(.null)
                    }
                } else if YAMLSubset.isSequenceItem(value) || YAMLSubset.splitKey(value) != nil {
                    // Compact nested collection: re-read the remainder as a line indented past the dash.
                    let nested = indent + 1 + spaces
                    lines[index] = Line(number: line.number, indent: nested, content: value,
                                        raw: line.raw)
                    items.append(try block(indent: nested))
                } else {
                    items.append(try scalarOrBlockScalar(value, line: line, parentIndent: indent))
                }
            }
            return .array(items)
        }

        mutating func mapping(indent: Int) throws -> JSON {
            var object = JSONObject()
            while true {
                skipBlank()
                guard index < lines.count else { break }
                let line = lines[index]
                if line.indent < indent || (line.indent == 0 && line.content == "---") { break }
                if line.indent > indent { throw fail("unexpected indentation") }
                guard let (key, rest) = YAMLSubset.splitKey(line.content) else {
                    if YAMLSubset.isSequenceItem(line.content) { throw fail("unexpected sequence item in a mapping") }
                    throw fail("expected 'key: value'")
                }
                let name = try YAMLSubset.keyText(key, line: line.number)
                if object[name] != nil { throw fail("duplicate key '\(name)'") }
                if rest.isEmpty {
                    index += 1
                    skipBlank()
                    if index < lines.count && lines[index].indent > indent {
                        object[name] = try block(indent: lines[index].indent)
                    } else if index < lines.count && lines[index].indent == indent
                                && YAMLSubset.isSequenceItem(lines[index].content) {
                        object[name] = try sequence(indent: indent)
                    } else {
                        object[name] = .null
                    }
                } else {
                    object[name] = try scalarOrBlockScalar(rest, line: line, parentIndent: indent)
                }
            }
            return .object(object)
        }

        /// A value on the current line; `|` / `>` start a block scalar on the following lines.
        mutating func scalarOrBlockScalar(_ text: Substring, line: Line, parentIndent: Int) throws -> JSON {
            index += 1
            guard let first = text.first, first == "|" || first == ">" else {
                return try YAMLSubset.flowValue(text, line: line.number)
            }
            let indicator = text.dropFirst()
            guard indicator.isEmpty || indicator == "-" || indicator == "+" else {
                throw fail("unsupported block scalar header '\(text)'", at: line.number)
            }
            var collected: [Substring] = []
            var blockIndent: Int?
            while index < lines.count {
                let l = lines[index]
                let isBlank = l.raw.allSatisfy { $0 == " " }
                if isBlank { collected.append(""); index += 1; continue }
                if l.indent <= parentIndent { break }
                if blockIndent == nil { blockIndent = l.indent }
                guard let bi = blockIndent, l.indent >= bi else { break }
                collected.append(l.raw.dropFirst(bi))
                index += 1
            }
            // Trailing blank lines belong to the chomping, not the content.
            var trailing = 0
            while let last = collected.last, last.isEmpty { collected.removeLast(); trailing += 1 }
            var body: String
            if first == "|" {
                body = collected.joined(separator: "\n")
            } else {
                body = ""
                for (i, part) in collected.enumerated() {
                    if i > 0 { body += (part.isEmpty || collected[i - 1].isEmpty) ? "\n" : " " }
                    body += part
                }
            }
            switch indicator {
            case "-": break
            case "+": body += String(repeating: "\n", count: trailing + 1)
            default: if !collected.isEmpty { body += "\n" }
            }
            return .string(body)
        }
    }

    // MARK: lexical helpers

    static func isSequenceItem(_ s: Substring) -> Bool {
        s == "-" || s.hasPrefix("- ")
    }

    /// Removes a `#` comment that starts the line or follows whitespace, outside quotes.
    static func stripComment(_ s: Substring) -> Substring {
        var inSingle = false, inDouble = false
        var previous: Character = " "
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if inDouble {
                if c == "\\" { i = s.index(after: i); if i < s.endIndex { previous = s[i]; i = s.index(after: i) }; continue }
                if c == "\"" { inDouble = false }
            } else if inSingle {
                if c == "'" { inSingle = false }
            } else if c == "#" && (previous == " " || previous == "\t") {
                return trimTrailing(s[s.startIndex..<i])
            } else if c == "\"" && (previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":" || i == s.startIndex) {
                inDouble = true
            } else if c == "'" && (previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":" || i == s.startIndex) {
                inSingle = true
            }
            previous = c
            i = s.index(after: i)
        }
        if s.first == "#" { return "" }
        return trimTrailing(s)
    }

    static func trimTrailing(_ s: Substring) -> Substring {
        var t = s
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        return t
    }

    static func trim(_ s: Substring) -> Substring {
        trimTrailing(s.drop(while: { $0 == " " || $0 == "\t" }))
    }

    /// Splits `key: rest` (the colon followed by a space or the end of line), outside quotes and flow brackets.
    static func splitKey(_ s: Substring) -> (Substring, Substring)? {
        guard let f = s.first, f != "[", f != "{", !isSequenceItem(s) else { return nil }
        var inSingle = false, inDouble = false
        var i = s.startIndex
        if f == "\"" || f == "'" {
            // Quoted key: find its end first.
            let quote = f
            i = s.index(after: i)
            while i < s.endIndex {
                if quote == "\"" && s[i] == "\\" { i = s.index(after: i); if i < s.endIndex { i = s.index(after: i) }; continue }
                if s[i] == quote {
                    let next = s.index(after: i)
                    if quote == "'" && next < s.endIndex && s[next] == "'" { i = s.index(after: next); continue }
                    break
                }
                i = s.index(after: i)
            }
            guard i < s.endIndex else { return nil }
            let afterQuote = s.index(after: i)
            let rest = s[afterQuote...].drop(while: { $0 == " " })
            guard rest.first == ":" else { return nil }
            let afterColon = rest.dropFirst()
            guard afterColon.isEmpty || afterColon.first == " " else { return nil }
            return (s[s.startIndex..<afterQuote], trim(afterColon))
        }
        while i < s.endIndex {
            let c = s[i]
            if c == "\"" { inDouble.toggle() } else if c == "'" { inSingle.toggle() }
            if c == ":" && !inSingle && !inDouble {
                let next = s.index(after: i)
                if next == s.endIndex || s[next] == " " {
                    let key = trimTrailing(s[s.startIndex..<i])
                    guard !key.isEmpty else { return nil }
                    return (key, trim(s[next...]))
                }
            }
            i = s.index(after: i)
        }
        return nil
    }

    static func keyText(_ key: Substring, line: Int) throws -> String {
        if key.first == "\"" || key.first == "'" {
            guard case .string(let s) = try flowValue(key, line: line) else {
                throw Error(line: line, message: "invalid key")
            }
            return s
        }
        if key.first == "&" || key.first == "*" || key.first == "!" || key.first == "?" {
            throw Error(line: line, message: "anchors, aliases, tags and complex keys are not supported")
        }
        return String(key)
    }

    /// Parses a flow value (scalar, `[..]` or `{..}`) that must fill the whole text.
    static func flowValue(_ text: Substring, line: Int) throws -> JSON {
        var f = Flow(chars: Array(text), line: line)
        let v = try f.value(depth: 0, inFlow: false)
        f.skipSpaces()
        if f.pos != f.chars.count { throw Error(line: line, message: "unexpected characters after value") }
        return v
    }

    /// Resolves a plain scalar to null, bool, int, float or string (YAML 1.2 core schema).
    static func plainScalar(_ s: String) -> JSON {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int64(s) { return .int(i) }
        let numberChars = Set("0123456789+-.eE")
        if s.contains(where: { $0.isNumber }) && s.allSatisfy({ numberChars.contains($0) }), let d = Double(s) {
            return .double(d)
        }
        return .string(s)
    }

    struct Flow {
        let chars: [Character]
        let line: Int
        var pos = 0

        func fail(_ m: String) -> Error { Error(line: line, message: m) }

        mutating func skipSpaces() { while pos < chars.count && (chars[pos] == " " || chars[pos] == "\t") { pos += 1 } }

        mutating func value(depth: Int, inFlow: Bool) throws -> JSON {
            guard depth <= YAMLSubset.maxDepth else { throw fail("nesting deeper than \(YAMLSubset.maxDepth)") }
            skipSpaces()
            guard pos < chars.count else { return .null }
            switch chars[pos] {
            case "[":
                pos += 1
                var items: [JSON] = []
                skipSpaces()
                if pos < chars.count && chars[pos] == "]" { pos += 1; return .array(items) }
                while true {
                    items.append(try value(depth: depth + 1, inFlow: true))
                    skipSpaces()
                    guard pos < chars.count else { throw fail("unterminated flow sequence") }
                    if chars[pos] == "," {
                        pos += 1; skipSpaces()
                        if pos < chars.count && chars[pos] == "]" { pos += 1; return .array(items) }
                        continue
                    }
                    if chars[pos] == "]" { pos += 1; return .array(items) }
                    throw fail("expected ',' or ']' in flow sequence")
                }
            case "{":
                pos += 1
                var object = JSONObject()
                skipSpaces()
                if pos < chars.count && chars[pos] == "}" { pos += 1; return .object(object) }
                while true {
                    skipSpaces()
                    let keyValue = try value(depth: depth + 1, inFlow: true)
                    let key: String
                    switch keyValue {
                    case .string(let s): key = s
                    case .int(let i): key = String(i)
                    case .bool(let b): key = String(b)
                    default: throw fail("invalid key in flow mapping")
                    }
                    skipSpaces()
                    guard pos < chars.count, chars[pos] == ":" else { throw fail("expected ':' in flow mapping") }
                    pos += 1
                    if object[key] != nil { throw fail("duplicate key '\(key)'") }
                    object[key] = try value(depth: depth + 1, inFlow: true)
                    skipSpaces()
                    guard pos < chars.count else { throw fail("unterminated flow mapping") }
                    if chars[pos] == "," {
                        pos += 1; skipSpaces()
                        if pos < chars.count && chars[pos] == "}" { pos += 1; return .object(object) }
                        continue
                    }
                    if chars[pos] == "}" { pos += 1; return .object(object) }
                    throw fail("expected ',' or '}' in flow mapping")
                }
            case "\"":
                return .string(try doubleQuoted())
            case "'":
                return .string(try singleQuoted())
            case "&", "*", "!":
                throw fail("anchors, aliases and tags are not supported")
            default:
                let start = pos
                while pos < chars.count {
                    let c = chars[pos]
                    if inFlow && (c == "," || c == "]" || c == "}") { break }
                    if inFlow && c == ":" && (pos + 1 == chars.count || chars[pos + 1] == " ") { break }
                    pos += 1
                }
                let text = String(chars[start..<pos]).trimmingSpaces()
                return YAMLSubset.plainScalar(text)
            }
        }

        mutating func singleQuoted() throws -> String {
            pos += 1
            var out = ""
            while pos < chars.count {
                if chars[pos] == "'" {
                    if pos + 1 < chars.count && chars[pos + 1] == "'" { out.append("'"); pos += 2; continue }
                    pos += 1
                    return out
                }
                out.append(chars[pos]); pos += 1
            }
            throw fail("unterminated single-quoted string")
        }

        mutating func doubleQuoted() throws -> String {
            pos += 1
            var out = ""
            while pos < chars.count {
                let c = chars[pos]
                if c == "\"" { pos += 1; return out }
                if c != "\\" { out.append(c); pos += 1; continue }
                pos += 1
                guard pos < chars.count else { break }
                let e = chars[pos]
                pos += 1
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case " ": out.append(" ")
                case "u":
                    guard pos + 4 <= chars.count, let v = UInt32(String(chars[pos..<pos + 4]), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw fail("invalid \\u escape") }
                    out.unicodeScalars.append(scalar)
                    pos += 4
                default: throw fail("invalid escape '\\\(e)'")
                }
            }
            throw fail("unterminated double-quoted string")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
