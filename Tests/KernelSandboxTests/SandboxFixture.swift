import Glibc
import KernelCore
import KernelLoop
@testable import KernelSandbox

/// A sandbox with a fresh kernel home under /tmp, the repository's runtime
/// helpers and the shared runtime venv (MCPK_PYTHON_RUNTIME, else the home's).
@KernelActor
final class SandboxFixture {
    let home: String
    let sandbox: Sandbox
    var events: [StepEvent] = []

    static var repoRoot: String {
        var p = #filePath
        for _ in 0..<3 { p = p.parent }
        return p
    }

    init(mode: SandboxMode = .bubblewrap, bwrap: String? = nil) async {
        var template = Array("/tmp/mcpk-sbx-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        home = dir
        var config = SandboxConfiguration(home: dir, runtimeDirectory: SandboxFixture.repoRoot + "/runtime",
                                          requestedMode: mode)
        if let bwrap { config.bwrapPath = bwrap }
        sandbox = Sandbox(configuration: config)
        await sandbox.probe()
    }

    /// Runs a Python step (`main(**inputs)` script) and collects its events.
    func python(_ code: String, inputs: JSON = [:], timeoutMs: UInt64 = 60_000, memoryMb: UInt64 = 512,
                network: Bool = false, connections: Set<String> = [],
                onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) async throws -> StepOutcome {
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "s\(Int.random(in: 0..<1_000_000))", code: code,
                                             inputs: inputs, sandbox: sandbox, timeoutMs: timeoutMs, memoryMb: memoryMb,
                                             network: network, connections: connections)
        return try await run(spec, onQuery: onQuery)
    }

    func run(_ spec: StepSpec, onQuery: (@KernelActor (StepQuery) async throws -> JSON)? = nil) async throws -> StepOutcome {
        events = []
        let step = try sandbox.start(spec, onEvent: { [weak self] e in self?.events.append(e) }, onQuery: onQuery)
        return await step.outcome()
    }

    var stdout: [String] {
        events.compactMap { if case .log("stdout", let l) = $0 { return l }; return nil }
    }

    func cleanup() { removeTree(home) }
}
