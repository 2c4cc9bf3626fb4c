import Glibc
import KernelCore
import KernelLoop

/// Blobs as files: `<root>/sha256/<2 hex>/<64 hex>`, written under `<root>/tmp` and renamed
/// into place, so a blob is either whole or absent. The default for SQLite homes
/// (`$MCPK_HOME/blobs`). Blocking; see `BlobStore`.
public final class FileBlobStore: BlobStore, @unchecked Sendable {
    public let root: String
    public var location: String { root }

    public init(root: String) throws {
        self.root = root
        for dir in [root, root + "/sha256", root + "/tmp"] where mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw KernelError.unavailable("cannot create \(dir): \(String(cString: strerror(errno)))")
        }
    }

    func path(_ digest: String) -> String { "\(root)/sha256/\(digest.prefix(2))/\(digest)" }

    public func ingest(file path: String) throws -> BlobInfo {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError.notFound("cannot open \(path): \(String(cString: strerror(errno)))") }
        var hasher = BlobHasher()
        var buf = [UInt8](repeating: 0, count: ValueLimits.ioChunkBytes)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                let e = String(cString: strerror(errno))
                Glibc.close(fd)
                throw KernelError.internal("cannot read \(path): \(e)")
            }
            if n == 0 { break }
            buf.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        Glibc.close(fd)
        let info = hasher.finish()
        try place(from: path, info)
        return info
    }

    public func ingest(bytes: [UInt8]) throws -> BlobInfo {
        let info = BlobHasher.hash(bytes)
        if FileBlobStore.exists(path(info.digest)) { return info }
        let tmp = "\(root)/tmp/\(Identifier.uuid())"
        try FileBlobStore.write(bytes, to: tmp)
        try place(from: tmp, info)
        return info
    }

    /// Renames `source` to the blob's path (or drops it when the blob is already stored).
    private func place(from source: String, _ info: BlobInfo) throws {
        let dest = path(info.digest)
        if FileBlobStore.exists(dest) { unlink(source); return }
        let dir = "\(root)/sha256/\(info.digest.prefix(2))"
        if mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw KernelError.unavailable("cannot create \(dir): \(String(cString: strerror(errno)))")
        }
        if rename(source, dest) == 0 { return }
        guard errno == EXDEV else { throw KernelError.internal("cannot move \(source) into the blob store: \(String(cString: strerror(errno)))") }
        // Another file system: copy under tmp, then rename.
        let tmp = "\(root)/tmp/\(Identifier.uuid())"
        let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw KernelError.unavailable("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(out) }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw KernelError.notFound("cannot open \(source)") }
        defer { Glibc.close(input) }
        var buf = [UInt8](repeating: 0, count: ValueLimits.ioChunkBytes)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { unlink(tmp); throw KernelError.internal("cannot read \(source)") }
            if n == 0 { break }
            try buf.withUnsafeBytes { try FileBlobStore.writeAll(out, UnsafeRawBufferPointer(rebasing: $0[0..<n]), path: tmp) }
        }
        guard fsync(out) == 0, rename(tmp, dest) == 0 else {
            unlink(tmp)
            throw KernelError.internal("cannot move \(source) into the blob store: \(String(cString: strerror(errno)))")
        }
        unlink(source)
    }

    public func size(_ digest: String) throws -> Int64? {
        var st = stat()
        guard stat(path(digest), &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    public func read(_ digest: String, offset: Int64, length: Int64?, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path(digest), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.missing(digest) }
        defer { Glibc.close(fd) }
        var remaining = length ?? Int64.max
        var at = offset
        var buf = [UInt8](repeating: 0, count: ValueLimits.ioChunkBytes)
        while remaining > 0 {
            let want = Int(min(Int64(buf.count), remaining))
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(at)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw KernelError.internal("cannot read blob sha256:\(digest): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            try buf.withUnsafeBytes { try chunk(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            at += Int64(n)
            remaining -= Int64(n)
        }
    }

    public func delete(_ digest: String) throws {
        if unlink(path(digest)) != 0 && errno != ENOENT {
            throw KernelError.internal("cannot delete blob sha256:\(digest): \(String(cString: strerror(errno)))")
        }
    }

    public func list() throws -> [(digest: String, size: Int64, storedAt: Int64)] {
        var out: [(digest: String, size: Int64, storedAt: Int64)] = []
        for dir in FileBlobStore.entries(root + "/sha256") {
            for name in FileBlobStore.entries("\(root)/sha256/\(dir)") where BlobReference.isDigest(name) {
                var st = stat()
                guard stat(path(name), &st) == 0 else { continue }
                out.append((name, Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000))
            }
        }
        return out
    }

    public func close() {}

    static func entries(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KernelError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    /// `WholeFile.writeAll` with its failure as `unavailable`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        do { try WholeFile.writeAll(fd, bytes, name: path) } catch { throw KernelError.unavailable(error.description) }
    }
}
