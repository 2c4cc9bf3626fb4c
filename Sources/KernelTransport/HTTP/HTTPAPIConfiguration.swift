/// What the HTTP shim reads from the kernel's resolved settings (`KernelConfiguration`
/// conforms): the bearer token and the `MCPK_*` settings (`MCPK_CORS_ORIGINS`).
public protocol HTTPAPIConfiguration {
    var token: String? { get }
    var settings: [String: String] { get }
}
