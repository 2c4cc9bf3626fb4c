import CSodium
import KernelCore

/// GitHub-style webhook signatures: `X-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>`.
/// The MAC is libsodium's `crypto_auth_hmacsha256` (any key length through its init/update/final
/// API) and the comparison is `sodium_memcmp`, whose time does not depend on where bytes differ.
public enum WebhookSignature {
    public static let header = "x-signature-256"
    public static let prefix = "sha256="
    static let macBytes = Int(crypto_auth_hmacsha256_BYTES)

    /// The raw HMAC-SHA256 of `body` under `secret`.
    public static func mac(secret: String, body: [UInt8]) -> [UInt8] {
        var state = crypto_auth_hmacsha256_state()
        let key = Array(secret.utf8)
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        _ = crypto_auth_hmacsha256_update(&state, body, UInt64(body.count))
        var out = [UInt8](repeating: 0, count: macBytes)
        _ = crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// The header value a sender puts on `body` (`sha256=<hex>`).
    public static func sign(secret: String, body: [UInt8]) -> String {
        prefix + SHA256.hexString(mac(secret: secret, body: body))
    }

    /// Whether `headerValue` is a valid signature of `body` under `secret`.
    public static func verify(_ headerValue: String?, secret: String, body: [UInt8]) -> Bool {
        guard let value = headerValue, value.hasPrefix(prefix) else { return false }
        let hex = Array(value.dropFirst(prefix.count).utf8)
        guard hex.count == macBytes * 2 else { return false }
        var given = [UInt8](repeating: 0, count: macBytes)
        var written = 0
        let rc = hex.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { c in
                sodium_hex2bin(&given, given.count, c.baseAddress, hex.count, nil, &written, nil)
            }
        }
        guard rc == 0, written == macBytes else { return false }
        let expected = mac(secret: secret, body: body)
        return sodium_memcmp(given, expected, macBytes) == 0
    }
}
