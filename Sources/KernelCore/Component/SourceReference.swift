/// Rules for the places a component's source may come from (pure checks, no I/O):
/// a git remote (`gitRepoUrl`, `gitRef`) and a relative path inside a root the
/// kernel controls (`mainScriptPath` inside a checkout, `notebookPathRef` inside
/// the notebook root). The kernel applies them again when it resolves the path
/// on disk (symlinks are checked there).
public enum SourceReference {
    /// URL schemes git may clone from. No `file://`, `ext::`, `ssh://` or local paths.
    public static let allowedGitSchemes = ["https", "http", "git"]
    public static let maxGitURLLength = 2048
    public static let maxGitRefLength = 255
    public static let maxRelativePathLength = 1024

    /// Why `s` is not an acceptable git remote, or nil when it is.
    public static func gitURLProblem(_ s: String) -> String? {
        guard s.utf8.count <= maxGitURLLength else { return "must be at most \(maxGitURLLength) bytes" }
        guard let sep = s.firstRange(of: "://") else {
            return "must be an https://, http:// or git:// URL (no local paths, scp-style or ext:: remotes)"
        }
        let scheme = s[..<sep.lowerBound].lowercased()
        guard allowedGitSchemes.contains(scheme) else {
            return "scheme '\(scheme)' is not allowed: use https://, http:// or git://"
        }
        if s.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7f }) {
            return "must not contain spaces or control characters"
        }
        let rest = s[sep.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if host.isEmpty || host.hasPrefix("-") || host.hasPrefix(":") { return "must name a host" }
        return nil
    }

    /// Why `s` is not an acceptable branch or tag name, or nil (a subset of `git check-ref-format`).
    public static func gitRefProblem(_ s: String) -> String? {
        guard !s.isEmpty, s.utf8.count <= maxGitRefLength else { return "must be 1 to \(maxGitRefLength) characters" }
        let allowed = s.unicodeScalars.allSatisfy {
            ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x41 && $0.value <= 0x5a)
                || ($0.value >= 0x61 && $0.value <= 0x7a) || $0 == "." || $0 == "_" || $0 == "-" || $0 == "/"
        }
        guard allowed else { return "may only contain letters, digits, '.', '_', '-' and '/'" }
        if s.hasPrefix("-") || s.hasPrefix("/") || s.hasPrefix(".") || s.hasSuffix("/") || s.hasSuffix(".")
            || s.hasSuffix(".lock") || s.contains("..") || s.contains("//") || s.contains("/.") {
            return "is not a valid branch or tag name"
        }
        return nil
    }

    /// Why `s` is not a relative path that stays inside its root, or nil.
    /// Absolute paths and `..` components are refused; symlinks are the resolver's job.
    public static func relativePathProblem(_ s: String) -> String? {
        guard !s.isEmpty else { return "must not be empty" }
        guard s.utf8.count <= maxRelativePathLength else { return "must be at most \(maxRelativePathLength) bytes" }
        if s.hasPrefix("/") { return "must be a relative path (absolute paths are refused)" }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "must not contain control characters"
        }
        if s.split(separator: "/").contains("..") { return "must not contain '..'" }
        if s.split(separator: "/").allSatisfy({ $0 == "." }) { return "must name a file" }
        return nil
    }

    /// `text` with the userinfo of every `scheme://user:password@` replaced by `***`,
    /// for messages that may quote a remote (git's errors do).
    public static func redactingCredentials(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let sep = rest.firstRange(of: "://") {
            out += rest[..<sep.upperBound]
            rest = rest[sep.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != " " && $0 != "'" && $0 != "\"" && $0 != "\n" }
            if let at = authority.lastIndex(of: "@") {
                out += "***"
                rest = rest[at...]
            }
        }
        return out + rest
    }
}
