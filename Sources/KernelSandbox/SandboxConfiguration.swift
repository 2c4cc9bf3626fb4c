import Glibc

/// Where things are and which mode the operator asked for.
public struct SandboxConfiguration: Sendable {
    /// The setting naming the notebook root.
    public static let notebookDirectoryVariable = "MCPK_NOTEBOOK_DIR"
    /// The setting naming the Python step runtime venv (default `$MCPK_HOME/runtimes/python`).
    public static let pythonRuntimeVariable = "MCPK_PYTHON_RUNTIME"
    /// The setting naming pip's shared cache.
    public static let pipCacheVariable = "MCPK_PIP_CACHE_DIR"
    /// The setting that turns isolation off (`none`); anything else asks for bubblewrap.
    public static let sandboxVariable = "MCPK_SANDBOX"
    /// The setting naming the delegated cgroup v2 parent (default `/sys/fs/cgroup/mcpk`).
    public static let cgroupRootVariable = "MCPK_CGROUP_ROOT"
    /// The setting naming the kernel's runtime helpers directory.
    public static let runtimeDirectoryVariable = "MCPK_RUNTIME_DIR"
    /// The kernel's home ($MCPK_HOME): work dirs go under `home/work`, never bound whole.
    public var home: String
    /// The kernel's runtime helpers (`runtime/` of the repository: python/mcpk, js/mcpk.js, runners).
    public var runtimeDirectory: String
    /// The runtime Python venv (`$MCPK_HOME/runtimes/python` or `MCPK_PYTHON_RUNTIME`); may not exist.
    public var pythonRuntime: String
    /// pip's wheel and HTTP cache for every venv build (`MCPK_PIP_CACHE_DIR`, default
    /// `~/.cache/mcpk/pip`): shared by every home and by scripts/python-runtime.sh.
    public var pipCacheDirectory: String
    /// The operator's notebook root (`MCPK_NOTEBOOK_DIR`, default `$MCPK_HOME/notebooks`):
    /// `notebookPathRef` is resolved inside it by the kernel; never bound into a sandbox.
    public var notebookDirectory: String
    /// Requested mode (`MCPK_SANDBOX=none` → `.none`).
    public var requestedMode: SandboxMode
    public var bwrapPath: String
    public var prlimitPath: String
    public var setprivPath: String
    public var shellPath: String
    /// Warm runner pools (`MCPK_RUNNER*`; the kernel passes the resolved settings).
    public var runners: RunnerSettings
    /// The delegated cgroup v2 parent (`MCPK_CGROUP_ROOT`); nil: `/sys/fs/cgroup/mcpk`.
    public var cgroupRoot: String?

    /// - Parameter settings: the resolved `MCPK_*` settings (the kernel passes
    ///   `KernelConfiguration.settings`: flags > environment > `.env`); an explicit argument wins
    ///   over its setting. Nothing here reads the process environment for an `MCPK_*` name.
    public init(home: String, settings: [String: String] = [:], runtimeDirectory: String? = nil, pythonRuntime: String? = nil,
                requestedMode: SandboxMode? = nil, notebookDirectory: String? = nil, pipCacheDirectory: String? = nil,
                runners: RunnerSettings = RunnerSettings()) {
        func setting(_ name: String) -> String? { settings[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.runners = runners
        self.home = home
        self.notebookDirectory = notebookDirectory ?? setting(SandboxConfiguration.notebookDirectoryVariable) ?? home + "/notebooks"
        self.runtimeDirectory = runtimeDirectory ?? setting(SandboxConfiguration.runtimeDirectoryVariable)
            ?? SandboxConfiguration.locateRuntime() ?? "runtime"
        self.pythonRuntime = pythonRuntime ?? setting(SandboxConfiguration.pythonRuntimeVariable) ?? home + "/runtimes/python"
        self.pipCacheDirectory = pipCacheDirectory ?? setting(SandboxConfiguration.pipCacheVariable)
            ?? (SandboxConfiguration.env("HOME") ?? "/root") + "/.cache/mcpk/pip"
        self.requestedMode = requestedMode ?? (setting(SandboxConfiguration.sandboxVariable) == "none" ? .none : .bubblewrap)
        cgroupRoot = setting(SandboxConfiguration.cgroupRootVariable)
        bwrapPath = "/usr/bin/bwrap"
        prlimitPath = "/usr/bin/prlimit"
        setprivPath = "/usr/bin/setpriv"
        shellPath = "/bin/sh"
    }

    static func env(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    /// `runtime/` next to or above the executable, else in the cwd (`MCPK_RUNTIME_DIR`, resolved
    /// by the caller, wins over this).
    public static func locateRuntime() -> String? {
        var candidates: [String] = []
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).parent
            for _ in 0..<6 {
                candidates.append(dir + "/runtime")
                dir = dir.parent
            }
        }
        if let cwd = getcwd(nil, 0) {
            candidates.append(String(cString: cwd) + "/runtime")
            free(cwd)
        }
        return candidates.first { FileManagerLite.exists($0 + "/python/mcpk/__init__.py") }
    }

    /// The interpreter steps run under: the runtime venv's python, else Debian's.
    public var pythonExecutable: String {
        let venv = pythonRuntime + "/bin/python"
        return FileManagerLite.isExecutable(venv) ? venv : "/usr/bin/python3"
    }
}
