import KernelCore
import KernelLoop
@testable import KernelSandbox

/// Test helper for the sandbox-layer tests that need a raw `StepSpec` (exact
/// millisecond timeouts, their own step ids): a Python Script spec as the python
/// executor plugin would plan it (`mcpk_runner.py script main.py`). Steps the
/// kernel runs are always planned by the plugin (see `SandboxFixture.python`).
@KernelActor
enum PythonScriptExecutor {
    static func spec(runId: String, stepId: String, attempt: Int = 1, code: String, inputs: JSON,
                            sandbox: Sandbox, timeoutMs: UInt64 = SandboxLimits.defaultTimeoutMs,
                            memoryMb: UInt64 = SandboxLimits.defaultMemoryMb, network: Bool = false,
                            connections: Set<String> = [], environment: [String: String] = [:],
                            venv: String? = nil) -> StepSpec {
        let work = sandbox.workDirectory(runId: runId, stepId: stepId, attempt: attempt)
        let paths = sandbox.paths(forWorkDirectory: work)
        let python = venv.map { $0 + "/bin/python" } ?? sandbox.configuration.pythonExecutable
        var binds: [String] = []
        if let venv { binds.append(venv) }
        if python.hasPrefix(sandbox.configuration.pythonRuntime) { binds.append(sandbox.configuration.pythonRuntime) }
        return StepSpec(runId: runId, stepId: stepId, attempt: attempt, executable: python,
                        arguments: ["-B", paths.runtime + "/python/mcpk_runner.py", "script", paths.work + "/main.py"],
                        environment: environment, files: ["main.py": Array(code.utf8)], inputs: inputs,
                        network: network, timeoutMs: timeoutMs, memoryMb: memoryMb,
                        readOnlyBinds: binds, declaredConnections: connections)
    }
}
