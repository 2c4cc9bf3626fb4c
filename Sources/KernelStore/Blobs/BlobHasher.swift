import KernelCore

/// Streaming SHA-256 (KernelCore's `SHA256`) of a blob's bytes, keeping its first bytes for the preview.
struct BlobHasher {
    private var sha = SHA256()
    private(set) var size: Int64 = 0
    private(set) var prefix: [UInt8] = []

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        sha.update(bytes)
        if prefix.count < ValueLimits.previewBytes + 4 {
            prefix.append(contentsOf: bytes.prefix(ValueLimits.previewBytes + 4 - prefix.count))
        }
        size += Int64(bytes.count)
    }

    mutating func finish() -> BlobInfo {
        BlobInfo(digest: sha.finalizeHex(), size: size, prefix: prefix)
    }

    static func hash(_ bytes: [UInt8]) -> BlobInfo {
        var h = BlobHasher()
        bytes.withUnsafeBytes { h.update($0) }
        return h.finish()
    }
}
