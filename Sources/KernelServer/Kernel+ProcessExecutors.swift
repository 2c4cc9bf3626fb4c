import KernelCore
import KernelEngine
import KernelLoop
import KernelPlugins
import KernelSandbox

extension Kernel {
    /// Executor plugins that plan processes (Plugins/typescript, notebook, streamlit, mcp, and
    /// third-party ones) become engine executors running through the sandbox. Python Script
    /// stays on the engine's own `SandboxStepExecutor`, except steps that declare
    /// `requirements`, which the python plugin runs in their cached venv (`PythonScriptRouter`).
    func registerPluginProcessExecutors(_ executors: ExecutorRegistry, sandbox: Sandbox,
                                        query: (@KernelActor (StepInvocation, StepQuery) async throws -> JSON)?) {
        let runtime = ProcessStepRuntime(sandbox: sandbox)
        for info in plugins?.list() ?? [] where info.state == .loaded && info.metadata?.kinds.contains(.executor) == true {
            guard let types = info.metadata?.componentTypes else { continue }
            do {
                let lib = try ExecutorLibrary(path: info.path)
                guard let exec = PluginProcessExecutor(runtime: runtime, table: lib.table) else { continue }
                exec.onQuery = query
                if types.contains(ComponentType.pythonScript.rawValue) {
                    guard let direct = executors.executor(for: .pythonScript) else { continue }
                    executors.register(PythonScriptRouter(direct: direct, withRequirements: exec))
                    logger.info("python requirements executor", metadata: ["plugin": "\(info.name)"])
                    continue
                }
                executors.register(exec)
                logger.info("process executor", metadata: ["plugin": "\(info.name)", "types": "\(types.joined(separator: ", "))"])
            } catch {
                logger.warning("executor plugin not usable", metadata: ["plugin": "\(info.name)", "error": "\(error)"])
            }
        }
    }
}
