import CLibPQ
import Glibc
import KernelCore
import KernelLoop

/// Blobs as rows of PostgreSQL (`blobs` + `blob_chunks` of `ValueLimits.ioChunkBytes`
/// each), so every kernel on one database sees the same blobs. One blocking libpq
/// connection of its own (opened on first use, reopened after a failure), used by the
/// caller's worker thread under a lock: blob traffic never touches the loop's pool.
public final class PostgresBlobStore: BlobStore, @unchecked Sendable {
    /// Seconds libpq waits for a connection.
    public static let connectTimeoutSeconds = 10

    private let conninfo: String
    private let lock = ConditionLock()
    private var conn: OpaquePointer?
    public let location: String

    public init(conninfo: String, location: String) {
        self.conninfo = conninfo
        self.location = location
    }

    deinit { if let conn { PQfinish(conn) } }

    public func close() {
        lock.withLock {
            if let conn { PQfinish(conn) }
            conn = nil
        }
    }

    private func connection() throws -> OpaquePointer {
        if let conn, PQstatus(conn) == CONNECTION_OK { return conn }
        if let conn { PQfinish(conn) }
        conn = nil
        let keys = ["dbname", "connect_timeout"], values = [conninfo, String(PostgresBlobStore.connectTimeoutSeconds)]
        let c: OpaquePointer? = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let c, PQstatus(c) == CONNECTION_OK else {
            let message = c.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let c { PQfinish(c) }
            throw KernelError.unavailable("blob store: cannot connect to PostgreSQL: \(message.split(separator: "\n").joined(separator: " "))")
        }
        conn = c
        return c
    }

    /// One statement with text params (and one binary `data` param when given); the rows' text
    /// (or, with `binaryResult`, raw) values, or the error.
    private func exec(_ sql: String, _ params: [String], data: UnsafeRawBufferPointer? = nil, binaryResult: Bool = false,
                      _ rows: (OpaquePointer) throws -> Void = { _ in }) throws {
        let c = try connection()
        var values: [UnsafePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        let owned = params.map { strdup($0) }
        defer { for p in owned { free(p) } }
        for p in owned { values.append(UnsafePointer(p)); lengths.append(0); formats.append(0) }
        if let data {
            values.append(data.baseAddress?.assumingMemoryBound(to: CChar.self))
            lengths.append(Int32(data.count))
            formats.append(1)
        }
        guard let res = PQexecParams(c, sql, Int32(values.count), nil, values, lengths, formats, binaryResult ? 1 : 0) else {
            throw KernelError.unavailable("blob store: PostgreSQL: \(String(cString: PQerrorMessage(c)))")
        }
        defer { PQclear(res) }
        let st = PQresultStatus(res)
        guard st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK else {
            let message = String(cString: PQresultErrorMessage(res)).split(separator: "\n").joined(separator: " ")
            if PQstatus(c) != CONNECTION_OK { PQfinish(c); conn = nil }
            throw KernelError.unavailable("blob store: PostgreSQL: \(message)")
        }
        try rows(res)
    }

    private func transaction(_ body: () throws -> Void) throws {
        try exec("BEGIN", [])
        do {
            try body()
            try exec("COMMIT", [])
        } catch {
            try? exec("ROLLBACK", [])
            throw error
        }
    }

    private func storedSize(_ digest: String) throws -> Int64? {
        var out: Int64?
        try exec("SELECT size FROM blobs WHERE digest = $1", [digest]) { res in
            if PQntuples(res) > 0 { out = Int64(String(cString: PQgetvalue(res, 0, 0))) }
        }
        return out
    }

    public func ingest(file path: String) throws -> BlobInfo {
        // Pass 1 hashes (the digest is the key), pass 2 uploads chunk by chunk.
        var hasher = BlobHasher()
        try PostgresBlobStore.chunks(of: path) { hasher.update($0) }
        let info = hasher.finish()
        try lock.withLock {
            if try storedSize(info.digest) == nil {
                try transaction {
                    var seq = 0
                    try PostgresBlobStore.chunks(of: path) { chunk in
                        try exec("INSERT INTO blob_chunks (digest, seq, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                 [info.digest, String(seq)], data: chunk)
                        seq += 1
                    }
                    try finishBlob(info)
                }
            }
        }
        unlink(path)
        return info
    }

    public func ingest(bytes: [UInt8]) throws -> BlobInfo {
        let info = BlobHasher.hash(bytes)
        try lock.withLock {
            guard try storedSize(info.digest) == nil else { return }
            try transaction {
                try bytes.withUnsafeBytes { all in
                    var seq = 0, off = 0
                    repeat {
                        let end = min(all.count, off + ValueLimits.ioChunkBytes)
                        try exec("INSERT INTO blob_chunks (digest, seq, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                 [info.digest, String(seq)], data: UnsafeRawBufferPointer(rebasing: all[off..<end]))
                        seq += 1
                        off = end
                    } while off < all.count
                }
                try finishBlob(info)
            }
        }
        return info
    }

    private func finishBlob(_ info: BlobInfo) throws {
        try exec("INSERT INTO blobs (digest, size, chunk_bytes, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                 [info.digest, String(info.size), String(ValueLimits.ioChunkBytes), String(Timestamp.now().milliseconds)])
    }

    public func size(_ digest: String) throws -> Int64? {
        try lock.withLock { try storedSize(digest) }
    }

    public func read(_ digest: String, offset: Int64, length: Int64?, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        try lock.withLock {
            var chunkBytes: Int64 = 0, size: Int64 = -1
            try exec("SELECT size, chunk_bytes FROM blobs WHERE digest = $1", [digest]) { res in
                guard PQntuples(res) > 0 else { return }
                size = Int64(String(cString: PQgetvalue(res, 0, 0))) ?? -1
                chunkBytes = Int64(String(cString: PQgetvalue(res, 0, 1))) ?? 0
            }
            guard size >= 0, chunkBytes > 0 else { throw Self.missing(digest) }
            let end = min(size, length.map { offset + $0 } ?? size)
            var at = max(0, offset)
            while at < end {
                let seq = at / chunkBytes
                let skip = Int(at - seq * chunkBytes)
                var got = 0
                try exec("SELECT data FROM blob_chunks WHERE digest = $1 AND seq = $2", [digest, String(seq)], binaryResult: true) { res in
                    guard PQntuples(res) > 0, let p = PQgetvalue(res, 0, 0) else { return }
                    let n = Int(PQgetlength(res, 0, 0))
                    let take = min(n - skip, Int(end - at))
                    guard take > 0 else { return }
                    try chunk(UnsafeRawBufferPointer(start: UnsafeRawPointer(p) + skip, count: take))
                    got = take
                }
                guard got > 0 else { throw KernelError.internal("blob sha256:\(digest) is missing chunk \(seq)") }
                at += Int64(got)
            }
        }
    }

    public func delete(_ digest: String) throws {
        try lock.withLock {
            try transaction {
                try exec("DELETE FROM blobs WHERE digest = $1", [digest])
                try exec("DELETE FROM blob_chunks WHERE digest = $1", [digest])
            }
        }
    }

    public func list() throws -> [(digest: String, size: Int64, storedAt: Int64)] {
        var out: [(digest: String, size: Int64, storedAt: Int64)] = []
        try lock.withLock {
            try exec("SELECT digest, size, created_at FROM blobs ORDER BY created_at", []) { res in
                for i in 0..<PQntuples(res) {
                    out.append((String(cString: PQgetvalue(res, i, 0)), Int64(String(cString: PQgetvalue(res, i, 1))) ?? 0,
                                Int64(String(cString: PQgetvalue(res, i, 2))) ?? 0))
                }
            }
        }
        return out
    }

    /// Reads `path` in `ValueLimits.ioChunkBytes` pieces.
    static func chunks(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KernelError.notFound("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var buf = [UInt8](repeating: 0, count: ValueLimits.ioChunkBytes)
        while true {
            // Fill whole chunks: chunk boundaries must sit at multiples of ioChunkBytes.
            var filled = 0
            while filled < buf.count {
                let n = buf.withUnsafeMutableBytes { b -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return Glibc.read(fd, base + filled, b.count - filled)
                }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw KernelError.internal("cannot read \(path): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { return }
            try buf.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
            if filled < buf.count { return }
        }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let owned = strings.map { strdup($0) }
    defer { for p in owned { free(p) } }
    return body(owned.map { UnsafePointer($0) } + [nil])
}
