import MCPKPluginABI

/// Plugin kinds (`mcpk_kind` bits).
public struct PluginKinds: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let connector = PluginKinds(rawValue: UInt32(MCPK_KIND_CONNECTOR.rawValue))
    public static let executor = PluginKinds(rawValue: UInt32(MCPK_KIND_EXECUTOR.rawValue))

    public var names: [String] {
        var out: [String] = []
        if contains(.connector) { out.append("connector") }
        if contains(.executor) { out.append("executor") }
        return out
    }
}
