import Glibc
import KernelCore
import KernelLoop

/// The private, content-addressed copy a plugin library is loaded from
/// (`$MCPK_HOME/plugin-cache/<sha256>/<file name>`), so the original may be overwritten or
/// rebuilt at any time without touching the pages the kernel has mapped (issue 13: copying a
/// new `.so` over a loaded one crashed the kernel), and a reload of new content `dlopen`s a
/// new path (glibc would hand back the old handle for the same path). One streamed pass
/// copies and hashes (KernelCore's `SHA256`); identical content shares one copy.
public enum PluginLibraryCopy {
    /// Largest library copied (the ADBC BigQuery driver is ~42 MiB).
    public static let maxLibraryBytes = 1024 * 1024 * 1024

    /// Copies `path` into `cache` and returns the copy's path. Any thread (file I/O).
    public static func privateCopy(of path: String, cache: String) throws -> String {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        guard mkdirs(cache) else { throw PluginLoadError.openFailed("cannot create the plugin cache \(cache): \(String(cString: strerror(errno)))") }
        let tmp = cache + "/.tmp-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        var sha = SHA256()
        if let problem = FileCopy.copy(path, to: tmp, limit: maxLibraryBytes, followSymlink: true, each: { chunk in
            sha.update(chunk)
        }) {
            throw PluginLoadError.openFailed("cannot copy \(path) into the plugin cache: \(problem)")
        }
        let dir = cache + "/" + sha.finalizeHex()
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
