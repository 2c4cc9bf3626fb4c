import Glibc
import KernelCore
import KernelEngine
import KernelLoop
import KernelPlugins
import KernelSandbox
import Logging

/// An engine over a MemoryRunStore with the kernel's Python path (python plugin → sandbox)
/// and small test executors for Utility/Output, in a fresh temporary home.
@KernelActor
final class EngineHarness {
    let store: MemoryRunStore
    let engine: RunEngine
    let home: String

    init(store: MemoryRunStore? = nil, home: String? = nil, owner: String = "test-kernel",
         maxConcurrentSteps: Int? = nil, leaseMilliseconds: Int64 = EngineLimits.leaseMilliseconds,
         values: ((String) throws -> ValueSpool)? = nil) async throws {
        self.store = store ?? MemoryRunStore()
        self.home = home ?? EngineHarness.makeTemp()
        let executors = ExecutorRegistry()
        var config = SandboxConfiguration(home: self.home, settings: ["MCPK_PYTHON_RUNTIME", "MCPK_SANDBOX", "MCPK_CGROUP_ROOT", "MCPK_RUNTIME_DIR", "MCPK_PIP_CACHE_DIR"].reduce(into: [String: String]()) { $0[$1] = getenv($1).map { String(cString: $0) } }, runtimeDirectory: EngineHarness.repoRoot + "/runtime")
        config.requestedMode = .bubblewrap
        let sandbox = Sandbox(configuration: config)
        await sandbox.probe()
        // Python Script steps take the kernel's path: the python executor plugin, leased
        // from a PluginHost, through PluginStepExecutor and the sandbox.
        executors.provider = PluginExecutors(host: try await EngineHarness.plugins(), runtime: ProcessStepRuntime(sandbox: sandbox),
                                             services: PluginStepServices())
        executors.register(TestUtilityExecutor())
        executors.register(TestCSVOutputExecutor())
        var logger = Logger(label: "engine-test")
        logger.logLevel = .warning
        engine = RunEngine(configuration: .init(home: self.home, owner: owner, maxConcurrentSteps: maxConcurrentSteps,
                                                terminateGraceMilliseconds: 500, leaseMilliseconds: leaseMilliseconds),
                           store: self.store, catalog: self.store, executors: executors, logger: logger,
                           values: try values?(self.home))
        try await engine.start()
    }

    /// One PluginHost with the python plugin for the whole test target.
    static var sharedPlugins: PluginHost?

    static func plugins() async throws -> PluginHost {
        if let sharedPlugins { return sharedPlugins }
        var quiet = Logger(label: "engine-test-plugins")
        quiet.logLevel = .warning
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []), logger: quiet)
        let dir = getenv("MCPK_PLUGIN_BUILD_DIR").map { String(cString: $0) } ?? (repoRoot + "/.build/debug")
        _ = try await host.load(path: dir + "/libmcpk-python.so")
        sharedPlugins = host
        return host
    }

    nonisolated static var repoRoot: String {
        var p = #filePath
        for _ in 0..<4 { if let i = p.lastIndex(of: "/") { p = String(p[..<i]) } }
        return p
    }

    nonisolated static func makeTemp() -> String {
        var template = Array("/tmp/mcpk-engine-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return p.map { String(cString: $0) } ?? "/tmp/mcpk-engine-\(getpid())"
    }

    @discardableResult
    func python(_ name: String, _ code: String) -> Component {
        store.addComponent(name, .pythonScript, ["codeContent": .string(code)])
    }

    /// Runs a workflow to its end and returns the final snapshot.
    func runToEnd(_ workflow: String, _ inputs: JSON = [:]) async throws -> JSON {
        let run = try await engine.submit(workflow: workflow, version: nil, inputs: inputs, actor: "test")
        await engine.waitUntilFinished(run.id)
        return try await engine.snapshot(run.id)
    }

    func events(_ runID: String) -> [RunEvent] { store.eventLog[runID] ?? [] }
}

extension JSON {
    func step(_ id: String) -> JSON? {
        self["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id }
    }
}
