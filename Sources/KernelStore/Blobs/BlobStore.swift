import KernelCore

/// What the blob store knows about one blob.
public struct BlobInfo: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the bytes.
    public var digest: String
    public var size: Int64
    /// The first bytes (for a reference's preview), at most `ValueLimits.previewBytes`.
    public var prefix: [UInt8]

    public init(digest: String, size: Int64, prefix: [UInt8]) {
        self.digest = digest
        self.size = size
        self.prefix = prefix
    }

    public var reference: BlobReference { BlobReference(digest: digest, size: size, prefix: prefix) }
}

/// A content-addressed store of large values (issue 16): each distinct content is stored
/// once, under its SHA-256. `FileBlobStore` (`$MCPK_HOME/blobs`, SQLite homes) and
/// `PostgresBlobStore` (chunk rows, shared by every kernel of one database).
///
/// Every method BLOCKS (file or socket I/O of up to gigabytes): callers run them on a
/// worker thread (`ValueSpool`), never on the loop. Implementations serialise their own use.
public protocol BlobStore: AnyObject, Sendable {
    /// Where blobs live, for logs and `kernel.status`.
    var location: String { get }
    /// Moves the file at `path` into the store (the file is gone afterwards) and returns its info.
    func ingest(file path: String) throws -> BlobInfo
    /// Stores `bytes`.
    func ingest(bytes: [UInt8]) throws -> BlobInfo
    /// The blob's size, or nil when it is not stored.
    func size(_ digest: String) throws -> Int64?
    /// Calls `chunk` with consecutive pieces of bytes `offset ..< offset + length` (to the end
    /// when `length` is nil), each at most `ValueLimits.ioChunkBytes`. `not_found` when missing.
    func read(_ digest: String, offset: Int64, length: Int64?, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Removes the blob (no-op when missing).
    func delete(_ digest: String) throws
    /// Every stored digest with its size and the time it was stored (ms since the epoch).
    func list() throws -> [(digest: String, size: Int64, storedAt: Int64)]
    /// Releases connections and descriptors.
    func close()
}

extension BlobStore {
    /// The whole blob in memory (callers bound the size first).
    public func readAll(_ digest: String) throws -> [UInt8] {
        var out: [UInt8] = []
        if let n = try size(digest) { out.reserveCapacity(Int(n)) }
        try read(digest, offset: 0, length: nil) { out.append(contentsOf: $0) }
        return out
    }

    static func missing(_ digest: String) -> KernelError {
        KernelError.notFound("blob sha256:\(digest) is not in the blob store")
    }
}
