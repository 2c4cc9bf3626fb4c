import KernelCore
import KernelLoop

/// One step's hold on an executor plugin (`PluginHost.executor(forType:)`).
/// While a lease is held the plugin cannot be unloaded or reloaded without
/// `force`; a forced unload calls the lease's revoke handler (which stops the
/// step) and keeps the library mapped until the last lease is released, so a
/// lease never outlives the code it points into. Release exactly once, on the loop.
public final class ExecutorLease: @unchecked Sendable {
    public let plugin: String
    public let componentType: String
    let backend: PluginBackend
    /// Set on the loop; read there only.
    private var revokeHandler: (@KernelActor (String) -> Void)?
    private var released = false
    private let onRelease: @KernelActor (ExecutorLease) -> Void

    init(plugin: String, componentType: String, backend: PluginBackend, onRelease: @escaping @KernelActor (ExecutorLease) -> Void) {
        self.plugin = plugin
        self.componentType = componentType
        self.backend = backend
        self.onRelease = onRelease
    }

    /// `in-process` or `process` (a `mcpk plugin-host` child).
    public var isolation: PluginIsolation { backend is ProcessBackend ? .process : .inProcess }

    /// This plugin's own declaration of the type (ABI 1.2.0), or nil (an older plugin, or one
    /// serving a type another plugin declares).
    private var declaration: ComponentTypeDefinition? {
        backend.metadata.componentTypeDefinitions.first { $0.name.rawValue == componentType }
    }

    /// How the plugin declared this type runs (ABI 1.2.0), or nil (older plugins: `plan` if
    /// the table has it, else `invoke`).
    public var declaredExecution: ComponentTypeDefinition.Execution? { declaration?.execution }

    /// The config fields the plugin's schema marks `x-mcpk-template` (ABI 1.2.0 declaration): the
    /// engine resolves their `${inputs…}` references against the step inputs before `plan` / `invoke`.
    public var declaredTemplateFields: [String] {
        (declaration?.schema["properties"]?.objectValue ?? JSONObject()).compactMap { name, s in
            s[ComponentConventions.templateHint] == true ? name : nil
        }
    }

    /// Whether an `invoke` of this type gets a work dir (false only when this plugin declared the
    /// type with `MCPK_TYPE_NO_WORK_DIR`, ABI 1.3.0; every older declaration gets one).
    public var needsWorkDirectory: Bool { declaration?.workDirectory ?? true }

    public var canPlan: Bool { backend.executorCapabilities.plan }
    public var canInvoke: Bool { backend.executorCapabilities.invoke }

    /// `plan`: the process spec. Blocks (call off the loop).
    public func plan(_ step: ExecutorStep) throws -> JSON {
        try PluginCallMetrics.measure(plugin, .plan) { try backend.plan(step) }
    }

    /// `finish`, or nil when the executor has none. Blocks (call off the loop).
    public func finish(_ step: ExecutorStep, outcome: ExecutorOutcome) throws -> JSON? {
        try PluginCallMetrics.measure(plugin, .finish) { try backend.finish(step, outcome: outcome) }
    }

    /// Runs the executor's `invoke` on the calling thread (a dedicated plugin
    /// thread, never the loop). Blocks until the plugin returns.
    public func invoke(_ step: ExecutorStep, callbacks: InvocationCallbacks) throws -> JSON {
        try PluginCallMetrics.measure(plugin, .invoke) { try backend.invoke(step, callbacks: callbacks) }
    }

    /// What to do when the plugin is force-unloaded under the step (stop it).
    @KernelActor public func onRevoke(_ handler: @escaping @KernelActor (String) -> Void) { revokeHandler = handler }

    @KernelActor func revoke(_ why: String) {
        let h = revokeHandler
        revokeHandler = nil
        h?(why)
    }

    @KernelActor public var isReleased: Bool { released }

    /// Gives the plugin back. Idempotent.
    @KernelActor public func release() {
        guard !released else { return }
        released = true
        revokeHandler = nil
        onRelease(self)
    }
}
