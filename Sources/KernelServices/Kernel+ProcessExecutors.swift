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
    ///
    /// Their process steps share one `ProcessStepRuntime`, whose `StepRuntimes` become the kernel's
    /// (`runtime.*` methods); `MCPK_RUNTIME_AUTO_INSTALL=0` makes a step that lacks a runtime fail
    /// naming `mcpk runtime install` instead of building it.
    func installPluginExecutors(_ executors: ExecutorRegistry, sandbox: Sandbox) throws {
        guard let host = plugins else { return }
        let autoInstall = try Kernel.booleanSetting(configuration.settings[StepRuntimes.autoInstallVariable],
                                                    name: StepRuntimes.autoInstallVariable, default: true)
        let runtime = ProcessStepRuntime(sandbox: sandbox, autoInstallRuntimes: autoInstall)
        stepRuntimes = runtime.runtimes
        addStatus("runtimes") { [weak runtimes = runtime.runtimes] in
            guard let runtimes else { return .null }
            // The last report runtime.status / dashboard.health computed (kernel.status never walks the trees).
            return ["auto_install": .bool(runtimes.autoInstall),
                    "items": .array(runtimes.lastReport.map { ["name": .string($0.name.rawValue), "state": .string($0.state.rawValue)] })]
        }
        Task { @KernelActor [weak runtimes = runtime.runtimes] in _ = try? await runtimes?.status() }
        var services = PluginStepServices()
        services.query = { [unowned self] connection, request in
            try await self.queryConnection(connection, sql: request.sql, params: request.params,
                                           // Negative (unlimited) is capped where rows are collected.
                                           maxRows: request.maxRows < 0 ? ConnectorLimits.maxCollectedRows : request.maxRows,
                                           timeoutMs: request.timeoutMs)
        }
        services.stream = { [unowned self] connection, request, relay in
            try await self.requireConnectionRuntime().stream(connection, request, into: relay)
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
        services.context = { [unowned self] inv in try await self.stepSchemaContext(inv) }
        services.materialize = { [unowned self] value in
            guard let values = self.engine?.values else { return value }
            return try await values.materialize(value)
        }
        executors.provider = PluginExecutors(host: host, runtime: runtime, services: services)
    }

    /// A yes/no setting: `1|true|on|yes` or `0|false|off|no` (any case); anything else is refused naming it.
    static func booleanSetting(_ raw: String?, name: String, default value: Bool) throws -> Bool {
        guard let raw, !raw.isEmpty else { return value }
        switch raw.lowercased() {
        case "1", "true", "on", "yes": return true
        case "0", "false", "off", "no": return false
        default: throw KernelError.invalidParams("\(name) must be 1/true/on/yes or 0/false/off/no (got '\(raw)')")
        }
    }

    /// `LLM Prompt Agent` with a `connection`: its scanned schema as `connectionSchema`
    /// (SchemaDigest: chosen `schemaTables` first, cut to `schemaTokenBudget`).
    func stepSchemaContext(_ inv: StepInvocation) async throws -> JSONObject? {
        // The secret input `apiKey` (`${secrets.NAME}`) stands in for `apiKeySecret`.
        if inv.type == .llmPromptAgent, inv.inputs["apiKey"]?.stringValue != nil {
            var o = try await stepConnectionSchema(inv) ?? JSONObject()
            o["apiKeySecret"] = .string(Kernel.apiKeyInputSecret)
            return o
        }
        return try await stepConnectionSchema(inv)
    }

    /// The name the `apiKey` input's value travels under to the LLM plugin's secrets.
    static let apiKeyInputSecret = "inputs.apiKey"

    func stepConnectionSchema(_ inv: StepInvocation) async throws -> JSONObject? {
        guard inv.type == .llmPromptAgent, let name = inv.config["connection"]?.stringValue, !name.isEmpty else { return nil }
        let scan = try await requireConnectionRuntime().scan(name, depth: 3 /* MCPK_SCAN_COLUMNS */, schema: nil, table: nil)
        let chosen = inv.config["schemaTables"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let budget = inv.config["schemaTokenBudget"]?.intValue.map(Int.init) ?? SchemaDigest.defaultTokenBudget
        let digest = SchemaDigest.describe(connection: name, scan: scan, chosenTables: chosen, tokenBudget: budget)
        return JSONObject([("connectionSchema", JSON.string(digest))])
    }

    /// The secrets an invoke step's component references, `{name: plaintext}`, or nil.
    /// `LLM Prompt Agent`: `apiKeySecret` names a connection whose sealed secret is the
    /// API key. Never logged.
    func stepSecrets(_ inv: StepInvocation) async throws -> JSON? {
        if inv.type == .llmPromptAgent, let key = inv.inputs["apiKey"]?.stringValue {
            return .object(JSONObject([(Kernel.apiKeyInputSecret, .string(key))]))
        }
        guard inv.type == .llmPromptAgent, let name = inv.config["apiKeySecret"]?.stringValue, !name.isEmpty else { return nil }
        let store = try requireStore()
        let connection = try await store.connection(name)
        guard let key = try await store.unsealSecret(connectionID: connection.id) else {
            throw KernelError.invalidParams("connection \(name) named by apiKeySecret has no secret")
        }
        return .object(JSONObject([(name, .string(key))]))
    }
}
