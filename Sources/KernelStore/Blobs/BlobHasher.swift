import CSodium
import KernelCore

/// Streaming SHA-256 (libsodium) of a blob's bytes, keeping its first bytes for the preview.
/// KernelCore's pure-Swift `SHA256` checksums small configs; blobs of up to gigabytes need
/// libsodium's speed.
struct BlobHasher {
    private var state = crypto_hash_sha256_state()
    private(set) var size: Int64 = 0
    private(set) var prefix: [UInt8] = []

    init() { crypto_hash_sha256_init(&state) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        if prefix.count < ValueLimits.previewBytes + 4 {
            prefix.append(contentsOf: bytes.prefix(ValueLimits.previewBytes + 4 - prefix.count))
        }
        size += Int64(bytes.count)
    }

    mutating func finish() -> BlobInfo {
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256_final(&state, &out)
        let hex = Array("0123456789abcdef")
        return BlobInfo(digest: String(out.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }), size: size, prefix: prefix)
    }

    static func hash(_ bytes: [UInt8]) -> BlobInfo {
        var h = BlobHasher()
        bytes.withUnsafeBytes { h.update($0) }
        return h.finish()
    }
}
