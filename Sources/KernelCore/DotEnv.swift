/// Parser for `.env` files: `KEY=value`, `export KEY=value`, `#` comments,
/// single quotes (literal), double quotes (with \n \t \" \\ escapes).
public enum DotEnv {
    public struct Error: Swift.Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { ".env line \(line): \(message)" }
    }

    public static func parse(_ text: String) throws -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            line = line.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop(while: { $0 == " " || $0 == "\t" })
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw Error(line: lineNumber, message: "expected KEY=value")
            }
            let key = line[..<eq].trimmingTrailingSpace()
            guard isValidKey(key) else {
                throw Error(line: lineNumber, message: "invalid variable name '\(key)'")
            }
            var rest = line[line.index(after: eq)...].drop(while: { $0 == " " || $0 == "\t" })
            var value = ""
            if rest.first == "'" {
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: "'") else {
                    throw Error(line: lineNumber, message: "unterminated single quote")
                }
                value = String(rest[..<end])
                try checkTrailer(rest[rest.index(after: end)...], lineNumber)
            } else if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                var i = rest.startIndex
                while i < rest.endIndex {
                    let c = rest[i]
                    if c == "\\" {
                        let n = rest.index(after: i)
                        guard n < rest.endIndex else { break }
                        switch rest[n] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "\"": value.append("\"")
                        case "\\": value.append("\\")
                        case "$": value.append("$")
                        default: value.append("\\"); value.append(rest[n])
                        }
                        i = rest.index(after: n)
                        continue
                    }
                    if c == "\"" { closed = true; break }
                    value.append(c)
                    i = rest.index(after: i)
                }
                guard closed else { throw Error(line: lineNumber, message: "unterminated double quote") }
                try checkTrailer(rest[rest.index(after: i)...], lineNumber)
            } else {
                // Unquoted: up to an inline comment (" #"), trailing space trimmed.
                var v = rest
                var prev: Character = " "
                for i in v.indices {
                    if v[i] == "#" && (prev == " " || prev == "\t") { v = v[..<i]; break }
                    prev = v[i]
                }
                value = String(v.trimmingTrailingSpace())
            }
            out.append((String(key), value))
        }
        return out
    }

    private static func checkTrailer(_ s: Substring, _ line: Int) throws {
        let t = s.drop(while: { $0 == " " || $0 == "\t" })
        if !t.isEmpty && !t.hasPrefix("#") {
            throw Error(line: line, message: "unexpected characters after closing quote")
        }
    }

    private static func isValidKey(_ key: Substring) -> Bool {
        guard let first = key.first, first == "_" || first.isLetter else { return false }
        return key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

extension Substring {
    func trimmingTrailingSpace() -> Substring {
        var s = self
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
