/// A value stored once in the blob store, as rows, events and run outputs carry it:
/// `{"$ref": "blob:sha256:<64 hex>", "size": <bytes of JSON text>, "preview": "<first bytes>"}`.
/// The blob's bytes are the value's JSON text. Only an object with exactly these three
/// keys and a well-formed digest is a reference; anything else is an ordinary value.
public struct BlobReference: Sendable, Equatable {
    public static let scheme = "blob:sha256:"

    /// Lowercase hex SHA-256 of the JSON text.
    public let digest: String
    public let size: Int64
    public let preview: String

    public init(digest: String, size: Int64, preview: String) {
        self.digest = digest
        self.size = size
        self.preview = preview
    }

    /// A reference whose preview is the first `ValueLimits.previewBytes` of `text`
    /// (cut at a UTF-8 boundary, marked with `…` when cut).
    public init(digest: String, size: Int64, prefix: [UInt8]) {
        var n = min(prefix.count, ValueLimits.previewBytes)
        // Back off continuation bytes so the cut never splits a character.
        while n > 0, n < prefix.count, prefix[n] & 0xC0 == 0x80 { n -= 1 }
        let cut = Int64(n) < size
        self.init(digest: digest, size: size, preview: String(decoding: prefix[0..<n], as: UTF8.self) + (cut ? "…" : ""))
    }

    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The reference `value` is, or nil.
    public init?(_ value: JSON) {
        guard case .object(let o) = value, o.count == 3, let ref = o["$ref"]?.stringValue, ref.hasPrefix(BlobReference.scheme),
              let size = o["size"]?.intValue, size >= 0, let preview = o["preview"]?.stringValue else { return nil }
        let digest = String(ref.dropFirst(BlobReference.scheme.count))
        guard BlobReference.isDigest(digest) else { return nil }
        self.init(digest: digest, size: size, preview: preview)
    }

    public var json: JSON {
        ["$ref": .string(BlobReference.scheme + digest), "size": .int(size), "preview": .string(preview)]
    }

    /// `1.2 GiB`, `300 MiB`, `512 KiB`, `12 bytes`: sizes in limit messages.
    public static func describe(bytes: Int64) -> String {
        let units: [(Int64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (scale, name) in units where bytes >= scale {
            // One decimal, truncated, without a trailing ".0": 1.2 GiB, 20 MiB.
            let tenths = bytes / scale * 10 + (bytes % scale) * 10 / scale
            let text = tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
            return "\(text) \(name)"
        }
        return "\(bytes) bytes"
    }
}

extension JSON {
    /// Whether this value's compact JSON text is longer than `limit` bytes, decided without
    /// serialising it (early exit; strings are counted as at least their UTF-8 length).
    public func serializedSizeExceeds(_ limit: Int) -> Bool {
        var budget = limit
        return !fits(&budget)
    }

    private func fits(_ budget: inout Int) -> Bool {
        switch self {
        case .null, .bool: budget -= 5
        case .int, .double: budget -= 24
        case .string(let s): budget -= s.utf8.count + 2
        case .array(let a):
            budget -= 2 + a.count
            if budget < 0 { return false }
            for v in a where !v.fits(&budget) { return false }
        case .object(let o):
            budget -= 2
            for (k, v) in o {
                budget -= k.utf8.count + 4
                if budget < 0 || !v.fits(&budget) { return false }
            }
        }
        return budget >= 0
    }

    /// Whether a `BlobReference` occurs anywhere in this value.
    public var containsBlobReference: Bool {
        if BlobReference(self) != nil { return true }
        switch self {
        case .array(let a): return a.contains { $0.containsBlobReference }
        case .object(let o): return o.contains { $0.1.containsBlobReference }
        default: return false
        }
    }
}
