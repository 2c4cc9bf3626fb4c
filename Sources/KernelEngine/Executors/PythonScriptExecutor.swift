import Glibc
import KernelCore
import KernelLoop

/// Runs `Python Script` steps as child processes of the loop: the component's
/// `codeContent` as `main.py`, inputs as `inputs.json`, fd 3 as the JSON-lines channel,
/// stdout/stderr lines as `log` events as they arrive. Stopping kills the whole process
/// group: SIGTERM, then SIGKILL after the grace period.
///
/// Isolation: this executor launches through a `StepLauncher`; the kernel wires the
/// sandbox's launcher (bubblewrap/seccomp/rlimits) when KernelSandbox provides one.
@KernelActor
public final class PythonScriptExecutor: StepExecutor {
    public let types: [ComponentType] = [.pythonScript]
    let python: String
    let graceMilliseconds: UInt64
    let launcher: StepLauncher

    public init(python: String? = nil, graceMilliseconds: UInt64 = EngineLimits.terminateGraceMilliseconds,
                launcher: StepLauncher = DirectLauncher()) {
        self.python = python ?? PythonScriptExecutor.findPython()
        self.graceMilliseconds = graceMilliseconds
        self.launcher = launcher
    }

    /// `MCPK_PYTHON`, else the system `python3`.
    public nonisolated static func findPython() -> String {
        if let p = getenv("MCPK_PYTHON").map({ String(cString: $0) }), !p.isEmpty { return p }
        for c in ["/usr/bin/python3", "/usr/local/bin/python3"] where access(c, X_OK) == 0 { return c }
        return "python3"
    }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> StepOutcome {
        guard let code = inv.config["codeContent"]?.stringValue ?? inv.config["code"]?.stringValue else {
            return .failed("the component has no codeContent")
        }
        let dir = inv.workDirectory
        guard ArtifactNames.writeFile(dir + "/main.py", Array(code.utf8)),
              ArtifactNames.writeFile(dir + "/inputs.json", inv.inputs.serializedBytes()),
              ArtifactNames.writeFile(dir + "/" + PythonRunner.fileName, Array(PythonRunner.source.utf8)) else {
            return .failed("cannot write the step files into \(dir)")
        }
        let spec = StepProcessSpec(executable: python, arguments: ["-u", PythonRunner.fileName], workDirectory: dir,
                                   environment: ["PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"],
                                   network: inv.config["network"]?.boolValue ?? false)
        return await ChannelProcess(spec: spec, launcher: launcher, grace: graceMilliseconds, events: events,
                                    artifactDirectory: inv.artifactDirectory).run(cancellation)
    }
}
