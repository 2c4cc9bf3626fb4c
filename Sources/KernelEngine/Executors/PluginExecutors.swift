import KernelCore
import KernelLoop
import KernelPlugins
import KernelSandbox

/// The engine's view of the plugin host's executors: a component type is runnable
/// while a loaded executor plugin declares it (`PluginHost.executorRoutes`), so
/// `plugin.load` / `plugin.unload` change what runs without a restart.
@KernelActor
public final class PluginExecutors: ExecutorProvider {
    let host: PluginHost
    let runtime: ProcessStepRuntime
    public var services: PluginStepServices
    private var executors: [ComponentType: PluginStepExecutor] = [:]
    /// Threads of in-process `invoke` attempts, shared by every type.
    private let threads = InvokeThreads()

    public init(host: PluginHost, runtime: ProcessStepRuntime, services: PluginStepServices) {
        self.host = host
        self.runtime = runtime
        self.services = services
    }

    public func executor(for type: ComponentType) -> StepExecutor? {
        guard host.executorRoutes()[type.rawValue] != nil else { return nil }
        if let e = executors[type] { return e }
        let e = PluginStepExecutor(type: type, host: host, runtime: runtime, threads: threads,
                                   services: { [unowned self] in self.services })
        executors[type] = e
        return e
    }

    public var routes: [ComponentType: String] {
        var out: [ComponentType: String] = [:]
        for (t, p) in host.executorRoutes() { out[ComponentType(t)] = p }
        return out
    }
}
