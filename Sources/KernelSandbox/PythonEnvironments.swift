import Glibc
import KernelCore
import KernelLoop

/// Per-component Python venvs keyed by the hash of their requirements:
/// `$MCPK_HOME/runtimes/venvs/<sha256>`. Built once — by pip inside the
/// sandbox with network on and only the venv dir writable — then bound
/// read-only into the steps that need it. The runtime venv's packages
/// (mcpk helpers' dependencies: nbclient, streamlit, mcp) stay importable
/// through a `.pth` file placed after the venv's own site-packages.
@KernelActor
public final class PythonEnvironments {
    public static let buildTimeoutMs: UInt64 = 900_000
    public static let buildMemoryMb: UInt64 = 2048
    let sandbox: Sandbox
    private var building: [String: Task<String, Error>] = [:]

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    public func directory(for requirements: [String]) -> String {
        sandbox.configuration.home + "/runtimes/venvs/" + ContentHash.sha256(requirements.sorted().joined(separator: "\n"))
    }

    /// The venv for `requirements`, building it if needed; returns its path.
    public func ensure(_ requirements: [String], onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws -> String {
        let dir = directory(for: requirements)
        if FileManagerLite.exists(dir + "/.mcpk-ready") { return dir }
        if let t = building[dir] { return try await t.value }
        let task = Task<String, Error> { @KernelActor in
            defer { self.building[dir] = nil }
            try await self.build(dir, requirements, onEvent: onEvent)
            return dir
        }
        building[dir] = task
        return try await task.value
    }

    private func build(_ dir: String, _ requirements: [String], onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws {
        removeTree(dir)
        guard ensureDirectory(dir) else { throw KernelError.internal("cannot create \(dir)") }
        let runtimeSite = sandbox.configuration.pythonRuntime + "/lib/python3.11/site-packages"
        let script = """
        set -e
        /usr/bin/python3 -m venv "$VENV"
        if [ -d "$RUNTIME_SITE" ]; then echo "$RUNTIME_SITE" > "$VENV/lib/python3.11/site-packages/zz-mcpk-runtime.pth"; fi
        "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off -r requirements.txt
        """
        let spec = StepSpec(runId: "_venv", stepId: String(dir.split(separator: "/").last ?? "venv"), attempt: 1,
                            executable: "/bin/sh", arguments: ["-c", script],
                            environment: ["VENV": dir, "RUNTIME_SITE": runtimeSite],
                            files: ["requirements.txt": Array((requirements.joined(separator: "\n") + "\n").utf8)],
                            network: true, timeoutMs: PythonEnvironments.buildTimeoutMs, cpuSeconds: 1800,
                            memoryMb: PythonEnvironments.buildMemoryMb, maxProcesses: 256,
                            readOnlyBinds: FileManagerLite.exists(runtimeSite) ? [sandbox.configuration.pythonRuntime] : [],
                            writableBinds: [dir])
        onEvent(.log(stream: "kernel", line: "installing requirements into \(dir)"))
        let step = try sandbox.start(spec, onEvent: { e in
            if case .log(let s, let l) = e { onEvent(.log(stream: "pip-" + s, line: l)) }
        })
        let o = await step.outcome()
        removeTree(o.workDirectory)
        removeTree(o.workDirectory + ".etc")
        guard o.succeeded else {
            removeTree(dir)
            throw KernelError.unavailable("installing requirements failed: \(o.failureSummary)")
        }
        _ = writeFile(dir + "/.mcpk-ready", requirements.sorted().joined(separator: "\n"))
    }
}
