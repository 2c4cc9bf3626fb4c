/// `Python Script` / `TypeScript Script` config.
public struct ScriptConfig: Sendable, Equatable {
    public let codeContent: String
    public let requirements: [String]
    public let network: Bool
    public let timeoutSeconds: Double?
    public let memoryMb: Int?
    /// Names of connections the code may query (checked at run time, not at save).
    public let connections: [String]
    public let normalized: JSON

    init(_ r: ConfigReader) {
        codeContent = r.string("codeContent") ?? ""
        requirements = r.strings("requirements")
        network = r.bool("network") ?? false
        timeoutSeconds = r.double("timeoutSeconds")
        memoryMb = r.int("memoryMb")
        connections = r.strings("connections")
        normalized = r.json
    }
}
