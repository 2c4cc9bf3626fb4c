import KernelCore

/// Feeds `mcpk_plugin_calls_total` / `mcpk_plugin_failures_total`
/// {plugin, operation} around each call into a plugin (on the thread that
/// makes the call; the registry is thread-safe). `operation` is this enum, and
/// `plugin` a loaded plugin's name, so the label sets stay bounded.
enum PluginCallMetrics {
    enum Operation: String {
        /// Connector calls.
        case open, test, execute, scan
        /// An extra operation (`plugin.call`); the op's name is not a label.
        case op
        /// Executor calls.
        case plan, finish, invoke
    }

    /// Counts one call of `operation` on `plugin`, and a failure when `body` throws.
    static func measure<T>(_ plugin: String, _ operation: Operation, _ body: () throws -> T) rethrows -> T {
        let labels = ["plugin": plugin, "operation": operation.rawValue]
        Metrics.pluginCalls.increment(labels)
        do {
            return try body()
        } catch {
            Metrics.pluginFailures.increment(labels)
            throw error
        }
    }
}
