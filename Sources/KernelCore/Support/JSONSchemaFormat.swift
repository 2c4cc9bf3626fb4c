/// The kernel's own string formats, named by `x-mcpk-format` in a JSON Schema (a
/// standard validator treats them as annotations; this one checks them). Each has one
/// checker.
public enum JSONSchemaFormat: String, Sendable, CaseIterable {
    /// An absolute `http` or `https` URL.
    case httpURL = "http-url"
    /// A git remote git may clone from (`SourceReference.gitURLProblem`).
    case gitURL = "git-url"
    /// A branch or tag name (`SourceReference.gitRefProblem`).
    case gitRef = "git-ref"
    /// A relative path without `..` (`SourceReference.relativePathProblem`).
    case relativePath = "relative-path"
    /// JSON or YAML text describing an MCP server (`MCPConfiguration.parse`).
    case mcpConfiguration = "mcp-configuration"

    /// The problems of `s` (empty strings are not checked: `minLength` says whether they are allowed).
    public func problems(_ s: String, path: String) -> [FieldError] {
        guard !s.isEmpty else { return [] }
        switch self {
        case .httpURL: return JSONSchemaFormat.isHTTPURL(s) ? [] : [FieldError(path, "must be an http(s) URL")]
        case .gitURL: return SourceReference.gitURLProblem(s).map { [FieldError(path, $0)] } ?? []
        case .gitRef: return SourceReference.gitRefProblem(s).map { [FieldError(path, $0)] } ?? []
        case .relativePath: return SourceReference.relativePathProblem(s).map { [FieldError(path, $0)] } ?? []
        case .mcpConfiguration: return MCPConfiguration.parse(s, path: path).1
        }
    }

    /// An absolute `http`/`https` URL with a host and no whitespace.
    static func isHTTPURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = Substring(s).dropFirst(8) }
        else if lower.hasPrefix("http://") { rest = Substring(s).dropFirst(7) }
        else { return false }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !host.isEmpty && !s.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" })
    }

    /// Standard `format` values checked (others are annotations, as JSON Schema 2020-12 allows).
    /// `uri`: an absolute URI (a scheme, then no spaces).
    static func standardProblem(_ format: String, _ s: String) -> String? {
        switch format {
        case "uri":
            guard let colon = s.firstIndex(of: ":"), colon != s.startIndex else { return "must be an absolute URI" }
            let scheme = s[..<colon]
            let ok = scheme.first?.isLetter == true && scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) }
                && !s.contains(where: \.isWhitespace)
            return ok ? nil : "must be an absolute URI"
        default:
            return nil
        }
    }
}
