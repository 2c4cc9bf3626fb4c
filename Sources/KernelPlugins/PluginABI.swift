import MCPKPluginABI

/// ABI versions this host speaks, newest first. The host offers each in turn to
/// `mcpk_plugin_init`; a plugin answering `MCPK_STATUS_NOT_IMPLEMENTED` gets the next.
public enum PluginABI {
    public static let supportedVersions: [UInt32] = [UInt32(MCPK_ABI_VERSION_1_0_0)]

    /// "1.0.0" for 1000000.
    public static func describe(_ version: UInt32) -> String {
        "\(version / 1_000_000).\((version / 1_000) % 1_000).\(version % 1_000)"
    }

    /// Minimum table sizes at ABI 1.0.0 (end of the last 1.0.0 member).
    public static let minPluginSize = MemoryLayout<mcpk_plugin>.offset(of: \mcpk_plugin.release)! + MemoryLayout<UnsafeRawPointer?>.size
    public static let minConnectorSize = MemoryLayout<mcpk_connector>.offset(of: \mcpk_connector.scan)! + MemoryLayout<UnsafeRawPointer?>.size
    public static let minExecutorSize = MemoryLayout<mcpk_executor>.offset(of: \mcpk_executor.invoke)! + MemoryLayout<UnsafeRawPointer?>.size
}
