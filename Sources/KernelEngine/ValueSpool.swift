import Glibc
import KernelCore
import KernelLoop
import KernelStore

/// Large values by reference (issue 16). Turns results above `ValueLimits.inlineBytes` into
/// blobs and `BlobReference`s, refuses results above the hard limit naming it, writes a
/// step's inputs with references replaced by their stored text, and loads referenced values
/// for path expressions and in-process steps. Every byte of blob I/O, hashing and
/// serialisation of a large value happens on its worker thread, never on the loop.
@KernelActor
public final class ValueSpool {
    public let blobs: BlobStore
    /// Kernel-wide hard limit on one result (`MCPK_MAX_RESULT_BYTES`); a component's
    /// `maxResultBytes` overrides it.
    public let maxResultBytes: Int64
    let worker = WorkerThread(name: "mcpk-blobs")

    public init(blobs: BlobStore, maxResultBytes: Int64 = ValueLimits.defaultMaxResultBytes) {
        self.blobs = blobs
        self.maxResultBytes = maxResultBytes
    }

    public func close() {
        let blobs = self.blobs
        worker.submit { blobs.close() }
        worker.stop()
    }

    /// `result too large: 1.2 GiB > limit 1 GiB (maxResultBytes)`.
    nonisolated static func tooLarge(_ size: Int64, limit: Int64) -> KernelError {
        KernelError.invalidParams("result too large: \(BlobReference.describe(bytes: size)) > limit \(BlobReference.describe(bytes: limit)) "
                                  + "(maxResultBytes / MCPK_MAX_RESULT_BYTES)")
    }

    /// The value as rows and events carry it: itself when its JSON text fits
    /// `ValueLimits.inlineBytes`, else the reference of a blob holding that text.
    public func spool(_ value: JSON, limit: Int64? = nil) async throws -> JSON {
        guard value.serializedSizeExceeds(ValueLimits.inlineBytes) else { return value }
        let blobs = self.blobs, limit = limit ?? maxResultBytes
        return try await worker.run {
            let bytes = value.serializedBytes()
            if bytes.count <= ValueLimits.inlineBytes { return value }
            guard Int64(bytes.count) <= limit else { throw ValueSpool.tooLarge(Int64(bytes.count), limit: limit) }
            return try blobs.ingest(bytes: bytes).reference.json
        }
    }

    /// A result a step wrote to a file of its work dir (`{"type":"result","file":…}`): checked
    /// against the limit, then moved into the blob store (or parsed inline when small). The
    /// file is gone afterwards. With a non-empty `redactor` the file is parsed and masked
    /// before anything of it reaches the blob store (at most `ValueLimits.maxLoadedBytes`).
    public func spool(file path: String, limit: Int64? = nil, redactor: SecretRedactor = SecretRedactor([])) async throws -> JSON {
        let blobs = self.blobs, limit = limit ?? maxResultBytes
        return try await worker.run {
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw KernelError.invalidParams("result file \(path) is not a regular file")
            }
            let size = Int64(st.st_size)
            guard size <= limit else {
                unlink(path)
                throw ValueSpool.tooLarge(size, limit: limit)
            }
            if size <= Int64(ValueLimits.inlineBytes) || !redactor.isEmpty {
                guard size <= ValueLimits.maxLoadedBytes else {
                    unlink(path)
                    throw KernelError.invalidParams("result file of a step using secrets too large to mask: \(BlobReference.describe(bytes: size)) > limit "
                                                    + "\(BlobReference.describe(bytes: ValueLimits.maxLoadedBytes)) (ValueLimits.maxLoadedBytes)")
                }
                let value: JSON
                let bytes: [UInt8]
                do { bytes = try WholeFile.bytes(path, limit: Int(size) + 1, regularFileOnly: true) } catch {
                    throw KernelError.notFound("cannot read result file: \(error)")
                }
                unlink(path)
                do { value = redactor.redact(try JSONParser.parse(bytes)) } catch {
                    throw KernelError.invalidParams("result file is not JSON: \(error)")
                }
                let text = value.serializedBytes()
                if text.count <= ValueLimits.inlineBytes { return value }
                return try blobs.ingest(bytes: text).reference.json
            }
            return try blobs.ingest(file: path).reference.json
        }
    }

    /// Writes `value` as JSON text to `path`, every `BlobReference` in it replaced by the
    /// stored text, streamed chunk by chunk from the blob store.
    public func writeResolved(_ value: JSON, to path: String) async throws {
        let blobs = self.blobs
        try await worker.run {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw KernelError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))") }
            defer { Glibc.close(fd) }
            var writer = ResolvingWriter(fd: fd, path: path, blobs: blobs)
            try writer.write(value)
            try writer.flush()
        }
    }

    /// The value a blob holds (at most `ValueLimits.maxLoadedBytes`).
    public func load(_ digest: String) async throws -> JSON {
        let blobs = self.blobs
        return try await worker.run { try ValueSpool.loadBlocking(digest, blobs: blobs) }
    }

    /// `value` with every reference replaced by its value, in memory (in-process steps).
    public func materialize(_ value: JSON) async throws -> JSON {
        guard value.containsBlobReference else { return value }
        let blobs = self.blobs
        return try await worker.run {
            func walk(_ v: JSON) throws -> JSON {
                if let ref = BlobReference(v) { return try ValueSpool.loadBlocking(ref.digest, blobs: blobs) }
                switch v {
                case .array(let a): return .array(try a.map(walk))
                case .object(let o): return .object(JSONObject(try o.map { ($0.key, try walk($0.value)) }))
                default: return v
                }
            }
            return try walk(value)
        }
    }

    /// Bytes `offset ..< offset + length` of a blob.
    public func chunk(_ digest: String, offset: Int64, length: Int) async throws -> [UInt8] {
        let blobs = self.blobs
        return try await worker.run {
            var out: [UInt8] = []
            out.reserveCapacity(length)
            try blobs.read(digest, offset: offset, length: Int64(length)) { out.append(contentsOf: $0) }
            return out
        }
    }

    /// The blob's size, or nil when missing.
    public func size(_ digest: String) async throws -> Int64? {
        let blobs = self.blobs
        return try await worker.run { try blobs.size(digest) }
    }

    nonisolated static func loadBlocking(_ digest: String, blobs: BlobStore) throws -> JSON {
        guard let size = try blobs.size(digest) else { throw KernelError.notFound("blob sha256:\(digest) is not in the blob store") }
        guard size <= ValueLimits.maxLoadedBytes else {
            throw KernelError.invalidParams("stored value too large to load: \(BlobReference.describe(bytes: size)) > limit "
                                            + "\(BlobReference.describe(bytes: ValueLimits.maxLoadedBytes)) (ValueLimits.maxLoadedBytes)")
        }
        do { return try JSONParser.parse(try blobs.readAll(digest)) } catch let e as KernelError { throw e } catch {
            throw KernelError.internal("blob sha256:\(digest) is not JSON: \(error)")
        }
    }
}

/// Serialises JSON to a file descriptor in chunks, splicing in the stored text of each
/// `BlobReference` (so a 300 MiB input is never one string in memory).
struct ResolvingWriter {
    let fd: Int32
    let path: String
    let blobs: BlobStore
    var buffer: [UInt8] = []

    init(fd: Int32, path: String, blobs: BlobStore) {
        self.fd = fd
        self.path = path
        self.blobs = blobs
        buffer.reserveCapacity(ValueLimits.ioChunkBytes)
    }

    mutating func write(_ value: JSON) throws {
        if let ref = BlobReference(value) {
            try flush()
            let fd = self.fd, path = self.path
            try blobs.read(ref.digest, offset: 0, length: nil) { try ResolvingWriter.writeAll(fd, $0, path: path) }
            return
        }
        switch value {
        case .array(let a):
            buffer.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { buffer.append(UInt8(ascii: ",")) }
                try write(v)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let o):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                JSON.string(k).serialize(into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                try write(v)
            }
            buffer.append(UInt8(ascii: "}"))
        default:
            value.serialize(into: &buffer)
        }
        if buffer.count >= ValueLimits.ioChunkBytes { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try ResolvingWriter.writeAll(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `WholeFile.writeAll` with its failure as `unavailable`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        do { try WholeFile.writeAll(fd, bytes, name: path) } catch { throw KernelError.unavailable(error.description) }
    }
}
