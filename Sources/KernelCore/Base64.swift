import CSodium

/// Base64 (RFC 4648), the one codec of the kernel, over libsodium's `sodium_bin2base64` /
/// `sodium_base642bin`: `bytes` cells of connectors, binary artifact contents, sealed secrets,
/// `run.result` chunks.
public enum Base64 {
    /// Standard alphabet with padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    /// Standard alphabet with padding.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return "" }
        _ = Sodium.ready
        let variant = sodium_base64_VARIANT_ORIGINAL
        let length = sodium_base64_encoded_len(n, variant)  // includes the terminating NUL
        return String(unsafeUninitializedCapacity: length) { out in
            out.withMemoryRebound(to: CChar.self) { c in
                guard let o = c.baseAddress else { return 0 }
                _ = sodium_bin2base64(o, length, base.assumingMemoryBound(to: UInt8.self), n, variant)
                return length - 1
            }
        }
    }

    /// Decodes the standard or the URL-safe alphabet, padding optional, line breaks and spaces
    /// ignored; nil on a bad character, on mixed alphabets or on a non-canonical ending.
    public static func decode(_ s: String) -> [UInt8]? {
        _ = Sodium.ready
        var text = s
        return text.withUTF8 { input -> [UInt8]? in
            guard input.count > 0 else { return [] }
            let urlSafe = input.contains(UInt8(ascii: "-")) || input.contains(UInt8(ascii: "_"))
            let variant = urlSafe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL_NO_PADDING
            var out = [UInt8](repeating: 0, count: input.count / 4 * 3 + 3)
            var length = 0
            let rc = input.withMemoryRebound(to: CChar.self) { c in
                sodium_base642bin(&out, out.count, c.baseAddress, c.count, "= \r\n", &length, nil, variant)
            }
            guard rc == 0 else { return nil }
            out.removeSubrange(length...)
            return out
        }
    }
}
