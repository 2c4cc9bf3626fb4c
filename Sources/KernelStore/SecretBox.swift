import CSodium
import Glibc
import KernelCore

/// Seals connection secrets at rest with libsodium's
/// `crypto_aead_xchacha20poly1305_ietf` under a 32-byte key kept in
/// `$MCPK_HOME/secret.key` (mode 0600, created on first run). The sealed
/// form is `x1:` + base64(nonce ‖ ciphertext); the connection id is the
/// associated data, so a sealed value cannot be moved to another row.
public final class SecretBox: @unchecked Sendable {
    public static let keyFileName = "secret.key"
    static let keyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    static let prefix = "x1:"

    private var key: [UInt8]

    /// Loads the key file, creating it (0600) if absent. A key file with the
    /// wrong size or group/other permissions is refused.
    public init(keyPath: String) throws {
        guard sodium_init() >= 0 else { throw KernelError.internal("libsodium failed to initialise") }
        var fd = open(keyPath, O_RDONLY | O_CLOEXEC)
        if fd < 0 && errno == ENOENT {
            var fresh = [UInt8](repeating: 0, count: SecretBox.keyBytes)
            crypto_aead_xchacha20poly1305_ietf_keygen(&fresh)
            let wfd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if wfd >= 0 {
                let n = write(wfd, fresh, fresh.count)
                fsync(wfd)
                close(wfd)
                guard n == fresh.count else {
                    unlink(keyPath)
                    throw KernelError.unavailable("cannot write \(keyPath)")
                }
            } else if errno != EEXIST {
                throw KernelError.unavailable("cannot create \(keyPath): \(String(cString: strerror(errno)))")
            }
            fd = open(keyPath, O_RDONLY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw KernelError.unavailable("cannot open \(keyPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw KernelError.unavailable("cannot stat \(keyPath)") }
        guard st.st_mode & 0o077 == 0 else {
            throw KernelError.forbidden("\(keyPath) must not be readable by group or others (chmod 600)")
        }
        var buf = [UInt8](repeating: 0, count: SecretBox.keyBytes + 1)
        let n = read(fd, &buf, buf.count)
        guard n == SecretBox.keyBytes else {
            throw KernelError.internal("\(keyPath) must hold exactly \(SecretBox.keyBytes) bytes")
        }
        key = Array(buf[0..<SecretBox.keyBytes])
    }

    deinit { sodium_memzero(&key, key.count) }

    public func seal(_ plaintext: String, context: String) -> String {
        var nonce = [UInt8](repeating: 0, count: SecretBox.nonceBytes)
        randombytes_buf(&nonce, nonce.count)
        let message = Array(plaintext.utf8)
        let ad = Array(context.utf8)
        var out = [UInt8](repeating: 0, count: message.count + SecretBox.tagBytes)
        var outLen: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(&out, &outLen, message, UInt64(message.count), ad, UInt64(ad.count),
                                                        nil, nonce, key)
        return SecretBox.prefix + Base64.encode(nonce + out[0..<Int(outLen)])
    }

    public func unseal(_ sealed: String, context: String) throws -> String {
        guard sealed.hasPrefix(SecretBox.prefix), let raw = Base64.decode(String(sealed.dropFirst(SecretBox.prefix.count))),
              raw.count >= SecretBox.nonceBytes + SecretBox.tagBytes else {
            throw KernelError.internal("sealed secret is malformed")
        }
        let nonce = Array(raw[0..<SecretBox.nonceBytes])
        let cipher = Array(raw[SecretBox.nonceBytes...])
        let ad = Array(context.utf8)
        var out = [UInt8](repeating: 0, count: cipher.count)
        var outLen: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(&out, &outLen, nil, cipher, UInt64(cipher.count),
                                                            ad, UInt64(ad.count), nonce, key)
        guard rc == 0 else { throw KernelError.forbidden("secret cannot be unsealed with this key (wrong secret.key?)") }
        defer { sodium_memzero(&out, out.count) }
        return String(decoding: out[0..<Int(outLen)], as: UTF8.self)
    }
}
