import Glibc
import KernelCore

/// Reads a `notebookPathRef` for the kernel: an `.ipynb` under the operator's
/// notebook root (`MCPK_NOTEBOOK_DIR`). The path must be relative without `..`,
/// must still be inside the root once symlinks are resolved, must be a regular
/// file of at most `maxBytes` and a valid nbformat v4 JSON document. The step
/// gets the notebook's bytes in its work dir; the root itself is never bound.
public enum NotebookFiles {
    /// Largest notebook the kernel reads.
    public static let maxBytes = 32 << 20
    public static let fileExtension = ".ipynb"
    /// The notebook format major version the runner executes.
    public static let nbformatMajor: Int64 = 4

    /// The notebook's bytes; `invalid_params`/`not_found`/`unavailable` with a message naming
    /// `notebookPathRef` otherwise (the root's host path is not revealed).
    public static func read(_ ref: String, root: String) throws -> [UInt8] {
        func refused(_ why: String) -> KernelError {
            KernelError.invalidParams("notebookPathRef '\(ref)': \(why)", errors: [FieldError("config.notebookPathRef", why)])
        }
        guard ref.hasSuffix(fileExtension) else { throw refused("must name an \(fileExtension) file") }
        guard FileManagerLite.exists(root) else {
            throw KernelError.unavailable("notebookPathRef '\(ref)': the notebook root (\(SandboxConfiguration.notebookDirectoryVariable)) does not exist")
        }
        let real = try SourceFiles.resolve(ref, inside: root, field: "notebookPathRef").path
        let fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw refused("cannot be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw refused("is not a regular file") }
        guard st.st_size <= maxBytes else { throw refused("is larger than \(maxBytes) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return -1 }
                return Glibc.read(fd, base + done, buf.count - done)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        guard done == bytes.count else { throw refused("could not be read completely") }
        if let problem = nbformatProblem(bytes) { throw refused("is not a valid nbformat v4 notebook: \(problem)") }
        return bytes
    }

    /// Why `bytes` is not an nbformat v4 document (top-level shape, cells), or nil.
    /// The runner validates the full schema with nbformat before executing.
    public static func nbformatProblem(_ bytes: [UInt8]) -> String? {
        let doc: JSON
        do { doc = try JSONParser.parse(String(decoding: bytes, as: UTF8.self)) } catch { return "not JSON (\(error))" }
        guard doc.objectValue != nil else { return "not a JSON object" }
        guard doc["nbformat"]?.intValue == nbformatMajor else {
            return "nbformat is \(doc["nbformat"]?.serialized() ?? "missing"), expected \(nbformatMajor)"
        }
        guard doc["metadata"]?.objectValue != nil else { return "metadata must be an object" }
        guard let cells = doc["cells"]?.arrayValue else { return "cells must be an array" }
        for (i, c) in cells.enumerated() {
            guard let type = c["cell_type"]?.stringValue, ["code", "markdown", "raw"].contains(type) else {
                return "cells[\(i)].cell_type must be code, markdown or raw"
            }
            guard c["source"]?.stringValue != nil || c["source"]?.arrayValue != nil else {
                return "cells[\(i)].source must be a string or an array of strings"
            }
        }
        return nil
    }
}
