import Glibc
import KernelCore
import KernelLoop

/// A process a step wants to run.
public struct StepProcessSpec: Sendable {
    public var executable: String
    public var arguments: [String]
    public var workDirectory: String
    /// Extra `KEY=value` entries on top of the clean base environment.
    public var environment: [String]
    public var network: Bool

    public init(executable: String, arguments: [String], workDirectory: String, environment: [String] = [], network: Bool = false) {
        self.executable = executable; self.arguments = arguments; self.workDirectory = workDirectory
        self.environment = environment; self.network = network
    }
}

/// Turns a step process spec into the `Process.Options` actually spawned (the sandbox wraps it
/// in bubblewrap + seccomp + rlimits). Child fds: 0 none, 1 stdout, 2 stderr, 3 channel.
public protocol StepLauncher: Sendable {
    func options(for spec: StepProcessSpec) throws -> Process.Options
    /// What isolation this launcher applies (for run events / health).
    var isolation: String { get }
}

/// Spawns the step directly in its own process group with a clean environment (no namespaces).
/// Used when no sandbox launcher is wired.
public struct DirectLauncher: StepLauncher {
    public init() {}
    public var isolation: String { "none (process group, clean environment)" }

    public func options(for spec: StepProcessSpec) throws -> Process.Options {
        let base = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(spec.workDirectory)", "LANG=C.UTF-8", "TMPDIR=\(spec.workDirectory)"]
        return Process.Options(executable: spec.executable, arguments: spec.arguments, environment: base + spec.environment,
                               workingDirectory: spec.workDirectory, stdio: [.ignore, .output, .output, .output], detached: true)
    }
}
