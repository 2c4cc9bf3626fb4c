import KernelCore
import KernelEngine
import KernelLoop
import KernelPlugins
import KernelSandbox

extension Kernel {
    /// Executor plugins served by the PluginHost become the engine's executors for the
    /// types they declare (Plugins/python, typescript, notebook, streamlit, mcp, and any
    /// plugin loaded later with `plugin.load`). The registry asks the host on every
    /// lookup, so loading or unloading an executor plugin changes routing at once; a
    /// plugin-served type takes precedence over a built-in Swift executor.
    func installPluginExecutors(_ executors: ExecutorRegistry, sandbox: Sandbox) {
        guard let host = plugins else { return }
        var services = PluginStepServices()
        services.query = { [unowned self] connection, request in
            try await self.queryConnection(connection, sql: request.sql, params: request.params,
                                           // Negative (unlimited) is capped where rows are collected.
                                           maxRows: request.maxRows < 0 ? ConnectorLimits.maxCollectedRows : request.maxRows,
                                           timeoutMs: request.timeoutMs)
        }
        services.processQuery = { [unowned self] _, q in
            try await self.queryConnection(q.connection, sql: q.sql, params: q.params.arrayValue ?? [],
                                           maxRows: Int64(q.maxRows ?? Int(ConnectorLimits.defaultMaxRows))).json
        }
        services.callOp = { [weak host] plugin, op, args in
            guard let host else { throw KernelError.unavailable("the plugin host is not running") }
            return try await host.call(plugin: plugin, op: op, args: args)
        }
        services.secrets = { [unowned self] inv in try await self.stepSecrets(inv) }
        services.materialize = { [unowned self] value in
            guard let values = self.engine?.values else { return value }
            return try await values.materialize(value)
        }
        executors.provider = PluginExecutors(host: host, runtime: ProcessStepRuntime(sandbox: sandbox), services: services)
    }

    /// The secrets an invoke step's component references, `{name: plaintext}`, or nil.
    /// `LLM Prompt Agent`: `apiKeySecret` names a connection whose sealed secret is the
    /// API key. Never logged.
    func stepSecrets(_ inv: StepInvocation) async throws -> JSON? {
        guard inv.type == .llmPromptAgent, let name = inv.config["apiKeySecret"]?.stringValue, !name.isEmpty else { return nil }
        let store = try requireStore()
        let connection = try await store.connection(name)
        guard let key = try await store.unsealSecret(connectionID: connection.id) else {
            throw KernelError.invalidParams("connection \(name) named by apiKeySecret has no secret")
        }
        return .object(JSONObject([(name, .string(key))]))
    }
}
