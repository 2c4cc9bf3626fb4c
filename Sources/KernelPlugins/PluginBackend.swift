import KernelCore

/// A connection handle inside a backend: a pointer value in-process, a
/// connection number in a `mcpk plugin-host` child.
public struct ConnectionHandle: Sendable, Hashable {
    public let raw: UInt64
    /// Backend incarnation that opened it (a restarted child invalidates old handles).
    public let generation: Int
}

/// Blocking operations on one loaded plugin, wherever its code runs. Every
/// method may block; callers run them on worker threads. Failures are thrown
/// as `PluginFailure` (plugin-reported) or `KernelError`.
protocol PluginBackend: AnyObject, Sendable {
    var metadata: PluginMetadata { get }
    var generation: Int { get }
    func open(config: JSON, secret: String?, connectTimeoutMs: Int64) throws -> ConnectionHandle
    func close(_ h: ConnectionHandle)
    func test(_ h: ConnectionHandle) throws -> String?
    func execute(_ h: ConnectionHandle, _ q: QueryRequest, sink: RowSink) throws
    /// Any thread, never blocks for long.
    func cancel(_ h: ConnectionHandle)
    func scan(_ h: ConnectionHandle, depth: Int32, schema: String?, table: String?) throws -> JSON
    func callOp(_ name: String, args: [JSON]) throws -> JSON
    /// Which executor entry points the plugin has (none for a connector).
    var executorCapabilities: (plan: Bool, invoke: Bool) { get }
    /// Executor `plan` / `finish` (nil: no finish) / `invoke`; block until the plugin returns.
    func plan(_ step: ExecutorStep) throws -> JSON
    func finish(_ step: ExecutorStep, outcome: ExecutorOutcome) throws -> JSON?
    func invoke(_ step: ExecutorStep, callbacks: InvocationCallbacks) throws -> JSON
    /// Unloads the plugin (in-process) or stops the child.
    func shutdown()
}

/// The plugin loaded into the kernel process.
final class InProcessBackend: PluginBackend, @unchecked Sendable {
    let library: PluginLibrary
    var metadata: PluginMetadata { library.metadata }
    let generation = 0

    init(library: PluginLibrary) { self.library = library }

    private func pointer(_ h: ConnectionHandle) throws -> OpaquePointer {
        guard let p = OpaquePointer(bitPattern: UInt(h.raw)) else { throw KernelError.internal("null connection handle") }
        return p
    }

    func open(config: JSON, secret: String?, connectTimeoutMs: Int64) throws -> ConnectionHandle {
        let p = try library.openConnection(config: config, secret: secret, connectTimeoutMs: connectTimeoutMs)
        return ConnectionHandle(raw: UInt64(UInt(bitPattern: p)), generation: 0)
    }
    func close(_ h: ConnectionHandle) { if let p = try? pointer(h) { library.closeConnection(p) } }
    func test(_ h: ConnectionHandle) throws -> String? { try library.testConnection(pointer(h)) }
    func execute(_ h: ConnectionHandle, _ q: QueryRequest, sink: RowSink) throws { try library.execute(pointer(h), q, sink: sink) }
    func cancel(_ h: ConnectionHandle) { if let p = try? pointer(h) { library.cancelConnection(p) } }
    func scan(_ h: ConnectionHandle, depth: Int32, schema: String?, table: String?) throws -> JSON {
        try library.scanConnection(pointer(h), depth: depth, schema: schema, table: table)
    }
    func callOp(_ name: String, args: [JSON]) throws -> JSON { try library.callOp(name, args: args) }
    var executorCapabilities: (plan: Bool, invoke: Bool) { (library.executorCanPlan, library.executorCanInvoke) }
    func plan(_ step: ExecutorStep) throws -> JSON { try library.plan(step) }
    func finish(_ step: ExecutorStep, outcome: ExecutorOutcome) throws -> JSON? { try library.finish(step, outcome: outcome) }
    func invoke(_ step: ExecutorStep, callbacks: InvocationCallbacks) throws -> JSON { try library.invoke(step, callbacks: callbacks) }
    func shutdown() { library.close() }
}
