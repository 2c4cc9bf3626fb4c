import Glibc
import KernelCore
import KernelLoop

extension GitCheckouts {
    /// The file a checkout's own requirements come from (used when the component sets none).
    public nonisolated static let requirementsFile = "requirements.txt"
    public nonisolated static let maxRequirementsBytes = 64 * 1024

    /// The requirements of `tree/requirements.txt` (nil if there is none): package
    /// specifiers from PyPI only — pip options (`-r`, `-e`, `--index-url`, …), URLs,
    /// VCS and local paths are refused with the line number. A symlink is not followed.
    public nonisolated static func repositoryRequirements(tree: String) throws -> [String]? {
        let path = tree + "/" + requirementsFile
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw KernelError.invalidParams("\(requirementsFile) of the repository is not a regular file")
        }
        guard st.st_size <= maxRequirementsBytes, let text = readFile(path, limit: maxRequirementsBytes) else {
            throw KernelError.invalidParams("\(requirementsFile) of the repository is larger than \(maxRequirementsBytes) bytes")
        }
        return try parseRequirements(text)
    }

    /// Requirement lines of a requirements file, comments and blank lines dropped.
    public nonisolated static func parseRequirements(_ text: String) throws -> [String] {
        var out: [String] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // pip: `#` starts a comment at the line start or after whitespace (not inside a URL fragment).
            var line = Substring(raw)
            if line.hasPrefix("#") { continue }
            if let hash = line.indices.first(where: { line[$0] == "#" && $0 > line.startIndex
                                                     && (line[line.index(before: $0)] == " " || line[line.index(before: $0)] == "\t") }) {
                line = line[..<hash]
            }
            let r = String(line).trimmingWhitespace
            if r.isEmpty { continue }
            if let problem = requirementProblem(r) {
                throw KernelError.invalidParams("\(requirementsFile) line \(i + 1): \(problem) (\(r))")
            }
            out.append(r)
        }
        return out
    }

    /// Why one requirement line is not a plain PyPI specifier, or nil.
    nonisolated static func requirementProblem(_ r: String) -> String? {
        if r.hasPrefix("-") { return "pip options are not allowed (PyPI only)" }
        if r.contains("://") || r.contains("@") || r.lowercased().hasPrefix("file:") {
            return "direct URL references are not allowed (PyPI only)"
        }
        if r.hasPrefix(".") || r.hasPrefix("/") || r.hasPrefix("~") || r.contains("\\") {
            return "local paths are not allowed (PyPI only)"
        }
        guard let first = r.unicodeScalars.first, (first.properties.isAlphabetic || ("0"..."9").contains(first)), first.isASCII else {
            return "must start with a package name"
        }
        return nil
    }
}
