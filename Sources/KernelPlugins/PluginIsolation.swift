/// Where a plugin's code runs.
public enum PluginIsolation: String, Sendable, CaseIterable {
    /// Loaded into the kernel; calls run on dedicated worker threads.
    case inProcess = "in-process"
    /// Loaded by a `mcpk plugin-host` child speaking the same calls over a pipe.
    case process = "process"
}
