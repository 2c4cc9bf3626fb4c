import CSodium

/// SHA-256 (libsodium) as lowercase hex: cache keys for venvs and transpiled scripts.
enum ContentHash {
    static func sha256(_ text: String) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var t = text
        t.withUTF8 { b in _ = crypto_hash_sha256(&out, b.baseAddress, UInt64(b.count)) }
        let hex = Array("0123456789abcdef")
        return String(out.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }
}
