import Glibc

/// Artifact file names, types and file access (names are plain file names: no paths).
public enum ArtifactNames {
    public static let maxNameLength = 200

    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxNameLength, !name.hasPrefix("."), name != ".." else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
    }

    /// Writes a file atomically (temp + rename), mode 0600.
    public static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { close(fd); unlink(tmp); return false }
            off += n
        }
        close(fd)
        return rename(tmp, path) == 0
    }
}
