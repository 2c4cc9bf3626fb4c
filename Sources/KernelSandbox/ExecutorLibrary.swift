import Glibc
import KernelCore
import MCPKPluginABI

/// Opens an executor plugin (.so) directly: dlopen, `mcpk_plugin_init` at
/// ABI 1.0.0, its executor table. For the bundled process executors, which
/// keep no state in init (calling it again for a library the PluginHost
/// already loaded is harmless: dlopen returns the same handle). The kernel's
/// PluginHost remains the owner of plugin lifecycles; this is the seam the
/// engine can use until the host exposes executor tables itself.
public final class ExecutorLibrary {
    public let path: String
    public let name: String
    private let executor: UnsafePointer<mcpk_executor>
    /// The executor table; holding it keeps this library loaded.
    public var table: ExecutorTable { ExecutorTable(table: executor, pluginData: plugin.pointee.private_data, owner: self) }
    private let handle: UnsafeMutableRawPointer
    private let plugin: UnsafeMutablePointer<mcpk_plugin>

    /// `<dir>/lib<product>.so` of the build directory (`MCPK_PLUGIN_BUILD_DIR` or the given dir).
    public static func path(_ product: String, in dir: String) -> String {
        (SandboxConfiguration.env("MCPK_PLUGIN_BUILD_DIR") ?? dir) + "/lib\(product).so"
    }

    public init(path p: String) throws {
        path = p
        guard let h = dlopen(p, RTLD_NOW | RTLD_LOCAL) else {
            throw KernelError.unavailable("cannot load \(p): \(String(cString: dlerror()))")
        }
        handle = h
        guard let sym = dlsym(h, "mcpk_plugin_init") else {
            dlclose(h)
            throw KernelError.invalidParams("no mcpk_plugin_init in \(p)")
        }
        let initFn = unsafeBitCast(sym, to: mcpk_plugin_init_fn.self)
        plugin = .allocate(capacity: 1)
        plugin.initialize(to: mcpk_plugin())
        var err = mcpk_error()
        let st = initFn(MCPK_ABI_VERSION_1_0_0, nil, plugin, MemoryLayout<mcpk_plugin>.size, &err)
        let message = err.message.map { String(cString: $0) }
        err.release?(&err)
        guard st == MCPK_STATUS_OK, let exec = plugin.pointee.executor,
              exec.pointee.struct_size >= MemoryLayout<mcpk_executor>.offset(of: \mcpk_executor.invoke)! else {
            plugin.deallocate()
            dlclose(h)
            throw KernelError.unavailable("init of \(p) failed (status \(st)): \(message ?? "not an executor")")
        }
        name = plugin.pointee.name.map { String(cString: $0) } ?? p
        executor = exec
    }

    deinit {
        if let release = plugin.pointee.release { release(plugin) }
        plugin.deallocate()
        dlclose(handle)
    }
}
