import Glibc

/// The one whole-file reader (and the write-all loop beside it): a file's bytes (or text) up to a
/// limit, in 64 KiB reads, so it
/// also reads /proc and /sys files, whose size `stat` does not tell. A file over the limit is
/// refused with the limit and the size seen, never cut short. Any thread (blocking I/O).
public enum WholeFile {
    /// Why a file could not be read; `description` names the path.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// `unreadable` covers a failed write too.
        public enum Reason: Sendable { case missing, tooLarge, unreadable }
        public let reason: Reason
        public let description: String
    }

    /// Size of one `read`.
    public static let chunkBytes = 64 * 1024

    /// All bytes of `path`. `regularFileOnly` refuses FIFOs and devices (which could block or
    /// never end).
    public static func bytes(_ path: String, limit: Int, regularFileOnly: Bool = false) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(reason: errno == ENOENT ? .missing : .unreadable, description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(reason: .unreadable, description: "cannot stat \(path): \(String(cString: strerror(errno)))") }
        if regularFileOnly && (st.st_mode & S_IFMT) != S_IFREG { throw Failure(reason: .unreadable, description: "\(path) is not a regular file") }
        if Int(st.st_size) > limit {
            throw Failure(reason: .tooLarge, description: "\(path) is \(st.st_size) bytes, over the limit of \(limit) bytes")
        }
        return try bytes(fd: fd, name: path, limit: limit, sizeHint: Int(st.st_size))
    }

    /// All bytes readable from `fd` (standard input, a pipe, an open file) until end of file.
    public static func bytes(fd: Int32, name: String, limit: Int, sizeHint: Int = 0) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(max(sizeHint, 0), limit) + 1)
        var buf = [UInt8](repeating: 0, count: chunkBytes)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: .unreadable, description: "cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return out }
            guard out.count + n <= limit else {
                throw Failure(reason: .tooLarge, description: "\(name) is over the limit of \(limit) bytes")
            }
            out.append(contentsOf: buf[0..<n])
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR; `name` is for the error.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws(Failure) {
        guard let base = bytes.baseAddress else { return }
        var off = 0
        while off < bytes.count {
            let n = write(fd, base + off, bytes.count - off)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(reason: .unreadable, description: "cannot write \(name): \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// The file's text (UTF-8; invalid sequences become U+FFFD).
    public static func text(_ path: String, limit: Int) throws(Failure) -> String {
        String(decoding: try bytes(path, limit: limit), as: UTF8.self)
    }
}

/// A small text file (at most `limit` bytes), or nil when it is missing, unreadable or larger:
/// /proc, /sys, stamps and caches whose absence is a normal answer.
public func readFile(_ path: String, limit: Int = 1 << 20) -> String? {
    try? WholeFile.text(path, limit: limit)
}
