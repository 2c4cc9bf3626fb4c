/// What a kernel's heartbeat row says about it besides its owner id and load.
public struct KernelIdentity: Sendable, Equatable {
    public var host: String
    public var version: String

    public init(host: String, version: String) {
        self.host = host
        self.version = version
    }
}
