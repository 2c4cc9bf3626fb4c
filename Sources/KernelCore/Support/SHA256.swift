import CSodium

/// SHA-256 — the one hash of the kernel, over libsodium's `crypto_hash_sha256`: content checksums
/// of configs and definitions, blob digests, cache keys, the plugin library cache. Streaming
/// (`update` … `finalize`) or one shot (`hash`, `hex`).
public struct SHA256: Sendable {
    /// Digest length in bytes.
    public static let digestByteCount = Int(crypto_hash_sha256_BYTES)

    private var state = crypto_hash_sha256_state()

    public init() {
        _ = Sodium.ready
        crypto_hash_sha256_init(&state)
    }

    /// Feeds more input.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Feeds a whole array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }

    /// The lower-case hex digest of everything fed so far.
    public mutating func finalizeHex() -> String { SHA256.hexString(finalize()) }

    /// One-shot digest.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    /// One-shot lower-case hex digest of a string's UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        var s = SHA256()
        var t = text
        t.withUTF8 { s.update(UnsafeRawBufferPointer($0)) }
        return s.finalizeHex()
    }

    /// One-shot lower-case hex digest.
    public static func hex(_ bytes: [UInt8]) -> String { hexString(hash(bytes)) }

    /// Lower-case hex of bytes (a digest's usual spelling).
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 0xF)]
            }
            return bytes.count * 2
        }
    }
}
