import Glibc
import KernelCore

/// Resolves a component's relative path (`mainScriptPath` in a checkout,
/// `notebookPathRef` in the notebook root) to a regular file that is still
/// inside its root once every symlink is resolved. Absolute paths, `..` and
/// symlinks leading out are refused with a field error naming `config.<field>`.
public enum SourceFiles {
    /// The file's path relative to the resolved root (symlinks resolved) and its absolute host path.
    public static func resolve(_ relative: String, inside root: String, field: String) throws -> (relative: String, path: String) {
        func refused(_ why: String) -> KernelError {
            KernelError.invalidParams("\(field) '\(relative)': \(why)", errors: [FieldError("config." + field, why)])
        }
        if let problem = SourceReference.relativePathProblem(relative) { throw refused(problem) }
        guard let rootReal = realPath(root) else { throw KernelError.unavailable("\(field) '\(relative)': its root does not exist") }
        guard let real = realPath(rootReal + "/" + relative) else {
            if errno == ENOENT || errno == ENOTDIR { throw KernelError(.notFound, "\(field) '\(relative)': no such file") }
            throw refused("cannot be resolved (\(String(cString: strerror(errno))))")
        }
        guard real.hasPrefix(rootReal + "/") else { throw refused("resolves outside its root (symlink)") }
        var st = stat()
        guard stat(real, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw refused("is not a regular file") }
        return (String(real.dropFirst(rootReal.count + 1)), real)
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
