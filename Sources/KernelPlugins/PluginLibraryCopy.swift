import CSodium
import Glibc
import KernelCore

/// The private, content-addressed copy a plugin library is loaded from
/// (`$MCPK_HOME/plugin-cache/<sha256>/<file name>`), so the original may be overwritten or
/// rebuilt at any time without touching the pages the kernel has mapped (issue 13: copying a
/// new `.so` over a loaded one crashed the kernel), and a reload of new content `dlopen`s a
/// new path (glibc would hand back the old handle for the same path). One streamed pass
/// copies and hashes (libsodium SHA-256); identical content shares one copy.
public enum PluginLibraryCopy {
    /// Bytes read per chunk.
    public static let chunkBytes = 1024 * 1024
    /// Largest library copied (the ADBC BigQuery driver is ~42 MiB).
    public static let maxLibraryBytes = 1024 * 1024 * 1024

    /// Copies `path` into `cache` and returns the copy's path. Any thread (file I/O).
    public static func privateCopy(of path: String, cache: String) throws -> String {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        guard mkdirs(cache) else { throw PluginLoadError.openFailed("cannot create the plugin cache \(cache): \(String(cString: strerror(errno)))") }
        let src = open(path, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw PluginLoadError.openFailed("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw PluginLoadError.openFailed("\(path) is not a regular file") }
        guard Int(st.st_size) <= maxLibraryBytes else {
            throw PluginLoadError.openFailed("\(path): \(st.st_size) bytes > limit \(maxLibraryBytes) (PluginLibraryCopy.maxLibraryBytes)")
        }
        let tmp = cache + "/.tmp-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        let dst = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o700)
        guard dst >= 0 else { throw PluginLoadError.openFailed("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var problem: String?
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { problem = "reading \(path): \(String(cString: strerror(errno)))"; break }
            if n == 0 { break }
            buffer.withUnsafeBufferPointer { b in _ = crypto_hash_sha256_update(&state, b.baseAddress, UInt64(n)) }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { write(dst, $0.baseAddress! + off, n - off) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { problem = "writing \(tmp): \(String(cString: strerror(errno)))"; break copying }
                off += w
            }
        }
        if close(dst) != 0, problem == nil { problem = "closing \(tmp): \(String(cString: strerror(errno)))" }
        if let problem {
            unlink(tmp)
            throw PluginLoadError.openFailed("cannot copy \(path) into the plugin cache: \(problem)")
        }
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256_final(&state, &digest)
        let dir = cache + "/" + SHA256.hex(digest)
        let copy = dir + "/" + name
        var existing = stat()
        if stat(copy, &existing) == 0 {  // the same content was copied before: keep that one (it may be mapped)
            unlink(tmp)
            return copy
        }
        guard mkdirs(dir), rename(tmp, copy) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw PluginLoadError.openFailed("cannot place the copy of \(path) at \(copy): \(reason)")
        }
        return copy
    }

    private static func mkdirs(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return false }
        }
        return true
    }
}
