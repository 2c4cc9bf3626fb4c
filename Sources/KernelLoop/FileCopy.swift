import Glibc

/// Streamed file copies (a fixed buffer, never the whole file in memory): artifacts into
/// the run's artifact dir, staged artifacts into a dependant's work dir, plugin libraries
/// into the plugin cache (hashed on the way, `each`).
public enum FileCopy {
    /// Bytes moved per read/write.
    public static let chunkBytes = 1024 * 1024

    /// Copies each host file of `files` (work-dir relative path → host path) into `directory`,
    /// making parent directories. Returns nil, or the first problem (naming the file).
    public static func stage(_ files: [String: String], into directory: String, limit: Int) -> String? {
        for (rel, host) in files.sorted(by: { $0.key < $1.key }) {
            guard !rel.hasPrefix("/"), !rel.split(separator: "/").contains("..") else { return "staged file \(rel) escapes the work dir" }
            var parent = directory
            for part in rel.split(separator: "/").dropLast() {
                parent += "/" + part
                if mkdir(parent, 0o700) != 0, errno != EEXIST { return "cannot create \(parent): \(String(cString: strerror(errno)))" }
            }
            if let problem = copy(host, to: directory + "/" + rel, limit: limit) { return "\(rel): \(problem)" }
        }
        return nil
    }

    /// Copies the regular file `source` (not a symlink) to `destination` through a temp file
    /// and a rename (mode 0600), so the destination is whole or absent. Returns nil, or why not.
    /// `each` sees every chunk as it is copied (a hash of the content); `followSymlink`
    /// accepts a symlink as the source (a plugin file may be one; artifacts may not).
    public static func copy(_ source: String, to destination: String, limit: Int, followSymlink: Bool = false,
                            each: ((UnsafeRawBufferPointer) -> Void)? = nil) -> String? {
        let src = open(source, O_RDONLY | O_CLOEXEC | (followSymlink ? 0 : O_NOFOLLOW))
        guard src >= 0 else { return "cannot open \(source): \(String(cString: strerror(errno)))" }
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return "\(source) is not a regular file" }
        guard Int(st.st_size) <= limit else { return "\(st.st_size) bytes > limit \(limit) bytes" }
        let tmp = destination + ".tmp-\(getpid())"
        let dst = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard dst >= 0 else { return "cannot create \(tmp): \(String(cString: strerror(errno)))" }
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var total = 0
        var problem: String?
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(src, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                problem = "reading \(source): \(String(cString: strerror(errno)))"
                break
            }
            if n == 0 { break }
            total += n
            if total > limit { problem = "more than \(limit) bytes (limit)"; break }
            if let each { buffer.withUnsafeBytes { each(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { write(dst, $0.baseAddress! + off, n - off) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { problem = "writing \(tmp): \(String(cString: strerror(errno)))"; break copying }
                off += w
            }
        }
        if close(dst) != 0, problem == nil { problem = "closing \(tmp): \(String(cString: strerror(errno)))" }
        if problem == nil, rename(tmp, destination) != 0 { problem = "cannot rename to \(destination): \(String(cString: strerror(errno)))" }
        if problem != nil { unlink(tmp) }
        return problem
    }
}
