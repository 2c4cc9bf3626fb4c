import Glibc
import KernelCore
import MCPKPluginABI
@testable import KernelSandbox

/// Loads a bundled executor plugin (.so built by `swift build`) the way the
/// plugin host does: dlopen, mcpk_plugin_init at ABI 1.0.0, the executor table.
final class ExecutorLibrary {
    let handle: UnsafeMutableRawPointer
    let plugin: UnsafeMutablePointer<mcpk_plugin>
    let table: ExecutorTable

    static func path(_ product: String) -> String {
        let dir = SandboxConfiguration.env("MCPK_PLUGIN_BUILD_DIR") ?? (SandboxFixture.repoRoot + "/.build/debug")
        return dir + "/lib\(product).so"
    }

    init(_ product: String) throws {
        let p = ExecutorLibrary.path(product)
        guard let h = dlopen(p, RTLD_NOW | RTLD_LOCAL) else {
            throw KernelError.unavailable("cannot load \(p) (build it with `swift build --product \(product)`): \(String(cString: dlerror()))")
        }
        handle = h
        guard let sym = dlsym(h, "mcpk_plugin_init") else { throw KernelError.internal("no mcpk_plugin_init in \(p)") }
        let initFn = unsafeBitCast(sym, to: mcpk_plugin_init_fn.self)
        plugin = .allocate(capacity: 1)
        plugin.initialize(to: mcpk_plugin())
        var err = mcpk_error()
        let st = initFn(MCPK_ABI_VERSION_1_0_0, nil, plugin, MemoryLayout<mcpk_plugin>.size, &err)
        guard st == MCPK_STATUS_OK, let exec = plugin.pointee.executor else {
            throw KernelError.internal("init of \(p) failed: \(st)")
        }
        table = ExecutorTable(table: exec, pluginData: plugin.pointee.private_data)
    }
}
