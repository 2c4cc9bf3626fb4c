import Glibc
import KernelCore
import KernelLoop

/// Python venvs built by pip inside the sandbox, with network on and only the venv dir and
/// the shared pip cache (`SandboxConfiguration.pipCacheDirectory`, holding the wheelhouse
/// every build installs from offline first) writable:
///
/// * per-component venvs keyed by the hash of their requirements,
///   `$MCPK_HOME/runtimes/venvs/<sha256>`, bound read-only into the steps that need them.
///   The runtime venv's packages (mcpk helpers' dependencies: nbclient, streamlit, mcp) stay
///   importable through a `.pth` file placed after the venv's own site-packages;
/// * the Python step runtime itself (`StepRuntimes`), through the same `buildVenv`.
@KernelActor
public final class PythonEnvironments {
    public static let buildTimeoutMs: UInt64 = 900_000
    public static let buildMemoryMb: UInt64 = 2048
    public static let buildCpuSeconds: UInt64 = 1800
    public static let buildMaxProcesses: UInt64 = 256
    /// Marker of a finished per-component venv (its sorted requirements).
    public static let readyFile = ".mcpk-ready"
    /// The shared wheel directory under the pip cache: every build installs from it offline first.
    public static let wheelhouse = "wheels"
    /// The line a build prints before downloading what the wheelhouse lacks.
    public static let fetchingMarker = "mcpk: fetching missing wheels into"
    /// Where a per-component venv's requirements came from: `config`, or `repository <git url>`.
    public static let originFile = ".mcpk-origin"
    let sandbox: Sandbox
    private var building: [String: Task<String, Error>] = [:]

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    /// `$MCPK_HOME/runtimes/venvs`.
    public var venvsDirectory: String { sandbox.configuration.home + "/runtimes/venvs" }

    /// The venv key of a requirement list (order does not matter).
    public nonisolated static func key(for requirements: [String]) -> String {
        SHA256.hex(requirements.sorted().joined(separator: "\n"))
    }

    /// A build of `dir` is running.
    public func isBuilding(_ dir: String) -> Bool { building[dir] != nil }

    public func directory(for requirements: [String]) -> String {
        venvsDirectory + "/" + PythonEnvironments.key(for: requirements)
    }

    /// The venv for `requirements`, building it if needed; returns its path. `origin` is
    /// recorded for `mcpk runtime gc` (`config`, or `repository <url>`).
    public func ensure(_ requirements: [String], origin: String = "config",
                       onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws -> String {
        let dir = directory(for: requirements)
        if FileManagerLite.exists(dir + "/" + PythonEnvironments.readyFile) { return dir }
        if let t = building[dir] { return try await t.value }
        let task = Task<String, Error> { @KernelActor in
            defer { self.building[dir] = nil }
            removeTree(dir)
            let runtimeSite = self.sandbox.configuration.pythonRuntime + "/lib/python3.11/site-packages"
            onEvent(.log(stream: "kernel", line: "installing requirements into \(dir)"))
            try await self.buildVenv(dir, requirements: requirements.joined(separator: "\n") + "\n", label: "requirements",
                                     linkedSite: FileManagerLite.exists(runtimeSite) ? runtimeSite : nil,
                                     readOnlyBinds: FileManagerLite.exists(runtimeSite) ? [self.sandbox.configuration.pythonRuntime] : [],
                                     onEvent: onEvent)
            _ = writeFile(dir + "/" + PythonEnvironments.originFile, origin + "\n")
            _ = writeFile(dir + "/" + PythonEnvironments.readyFile, requirements.sorted().joined(separator: "\n"))
            return dir
        }
        building[dir] = task
        return try await task.value
    }

    /// Builds a venv at `dir` (which must not hold one yet) inside the sandbox: `python3 -m venv`,
    /// an optional `.pth` onto `linkedSite`, the list's `pip==` pin first when it has one, then
    /// `requirements` (requirements.txt text): from the wheelhouse offline, else downloaded into it
    /// and installed from it (else, for what has no wheel, a plain online install). pip's output comes through
    /// `onEvent` as `pip-stdout`/`pip-stderr` logs. On failure the dir is removed.
    func buildVenv(_ dir: String, requirements: String, label: String, linkedSite: String?, readOnlyBinds: [String],
                   onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws {
        let cache = sandbox.configuration.pipCacheDirectory
        guard ensureDirectory(dir) else { throw KernelError.internal("cannot create \(dir)") }
        guard ensureDirectory(cache + "/" + PythonEnvironments.wheelhouse) else { throw KernelError.internal("cannot create the pip cache \(cache)") }
        // Offline first, from the shared wheelhouse; what it lacks is downloaded into it (PyPI, through
        // whatever proxy the host has: pip's own HTTP cache is not relied on), then installed from it.
        let script = """
        set -e
        /usr/bin/python3 -m venv "$VENV"
        if [ -n "$LINKED_SITE" ]; then echo "$LINKED_SITE" > "$VENV/lib/python3.11/site-packages/zz-mcpk-runtime.pth"; fi
        PIP="$VENV/bin/python -m pip --disable-pip-version-check --no-input"
        inst() { $PIP install --progress-bar off --no-index --find-links "$WHEELS" -r "$1"; }
        fetch() { $PIP download --progress-bar off --dest "$WHEELS" -r "$1"; }
        get() {
            if ! inst "$1" 2>/dev/null; then
                echo "\(PythonEnvironments.fetchingMarker) $WHEELS"
                fetch "$1" || true
                inst "$1" || $PIP install --progress-bar off --find-links "$WHEELS" -r "$1"
            fi
        }
        if grep -q '^pip==' requirements.txt; then grep '^pip==' requirements.txt > pip.txt; get pip.txt; fi
        get requirements.txt
        """
        let spec = StepSpec(runId: "_venv", stepId: label + "-" + String(dir.split(separator: "/").last ?? "venv"), attempt: 1,
                            executable: "/bin/sh", arguments: ["-c", script],
                            environment: ["VENV": dir, "LINKED_SITE": linkedSite ?? "", "PIP_CACHE_DIR": cache,
                                          "WHEELS": cache + "/" + PythonEnvironments.wheelhouse],
                            files: ["requirements.txt": Array(requirements.utf8)],
                            network: true, timeoutMs: PythonEnvironments.buildTimeoutMs, cpuSeconds: PythonEnvironments.buildCpuSeconds,
                            memoryMb: PythonEnvironments.buildMemoryMb, maxProcesses: PythonEnvironments.buildMaxProcesses,
                            readOnlyBinds: readOnlyBinds, writableBinds: [dir, cache])
        let step = try sandbox.start(spec, onEvent: { e in
            if case .log(let s, let l) = e { onEvent(.log(stream: "pip-" + s, line: l)) }
        })
        let o = await step.outcome()
        removeTree(o.workDirectory)
        removeTree(o.workDirectory + ".etc")
        guard o.succeeded else {
            removeTree(dir)
            throw KernelError.unavailable("installing \(label) failed: \(o.failureSummary)")
        }
    }
}
