import KernelCore
import KernelLoop
import MCPKPluginABI

/// An executor table of a loaded in-process plugin, for the sandbox/engine
/// (`KernelSandbox.ExecutorTable` wraps it). Valid while the plugin stays
/// loaded: callers must not keep it across `unload`/`reload`.
public struct LoadedExecutor: @unchecked Sendable {
    public let plugin: String
    public let table: UnsafePointer<mcpk_executor>
    public let pluginData: UnsafeMutableRawPointer?
    public let componentTypes: [String]
    /// The plugin's host table (for `mcpk_host.alloc/free` ownership rules).
    public let host: UnsafePointer<mcpk_host>
}

extension PluginHost {
    /// Executor tables of every loaded in-process executor plugin. Executors
    /// under `process` isolation are not offered here (their tables live in
    /// the child); load executor plugins in-process.
    public func executors() -> [LoadedExecutor] {
        loadedBackends().compactMap { backend in
            guard let b = backend as? InProcessBackend, b.metadata.kinds.contains(.executor),
                  let table = b.library.executor else { return nil }
            return LoadedExecutor(plugin: b.metadata.name, table: table, pluginData: b.library.pluginData,
                                  componentTypes: b.metadata.componentTypes, host: b.library.hostTable)
        }
    }
}
