import MCPKPluginABI

/// ABI versions this host speaks, newest first. The host offers each in turn to
/// `mcpk_plugin_init`; a plugin answering `MCPK_STATUS_NOT_IMPLEMENTED` gets the next.
/// A plugin that accepts may fill `abi_version` with any of these versions up to the one
/// asked for (a 1.0.0 plugin answering OK to 1.1.0 runs as 1.0.0).
public enum PluginABI {
    public static let supportedVersions: [UInt32] = [UInt32(MCPK_ABI_VERSION_1_3_0), UInt32(MCPK_ABI_VERSION_1_2_0),
                                                   UInt32(MCPK_ABI_VERSION_1_1_0), UInt32(MCPK_ABI_VERSION_1_0_0)]
    public static let version1_2_0 = UInt32(MCPK_ABI_VERSION_1_2_0)
    public static let version1_3_0 = UInt32(MCPK_ABI_VERSION_1_3_0)
    /// Every `MCPK_TYPE_*` bit this host knows (ABI 1.3.0).
    public static let knownTypeFlags = UInt32(MCPK_TYPE_NO_WORK_DIR)

    /// "1.0.0" for 1000000.
    public static func describe(_ version: UInt32) -> String {
        "\(version / 1_000_000).\((version / 1_000) % 1_000).\(version % 1_000)"
    }

    /// Minimum table sizes at ABI 1.0.0 (end of the last 1.0.0 member).
    public static let minPluginSize = MemoryLayout<mcpk_plugin>.offset(of: \mcpk_plugin.release)! + MemoryLayout<UnsafeRawPointer?>.size
    public static let minConnectorSize = MemoryLayout<mcpk_connector>.offset(of: \mcpk_connector.scan)! + MemoryLayout<UnsafeRawPointer?>.size
    /// `mcpk_invocation` up to `call_op` (ABI 1.1.0).
    public static let invocationSize = MemoryLayout<mcpk_invocation>.size
    /// `mcpk_executor` up to `type_def_count` (ABI 1.2.0).
    public static let executorSize1_2_0 = MemoryLayout<mcpk_executor>.offset(of: \mcpk_executor.type_def_count)! + MemoryLayout<Int>.size
    /// `mcpk_component_type` up to `execution` (ABI 1.2.0).
    public static let minComponentTypeSize = MemoryLayout<mcpk_component_type>.offset(of: \mcpk_component_type.execution)! + MemoryLayout<UInt32>.size
    /// Most component types one executor may declare.
    public static let maxComponentTypes = 256
    public static let minExecutorSize = MemoryLayout<mcpk_executor>.offset(of: \mcpk_executor.invoke)! + MemoryLayout<UnsafeRawPointer?>.size
}
