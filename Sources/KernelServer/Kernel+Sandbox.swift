import KernelCore
import KernelLoop
import KernelSandbox

extension Kernel {
    /// Probes every isolation layer once (a real sandboxed probe step) and
    /// reports it as the `sandbox` section of `kernel.status` and
    /// `dashboard.health`. When bubblewrap or user namespaces are missing the
    /// kernel still starts, but process steps are refused unless the operator
    /// set `MCPK_SANDBOX=none` (then the section says so, in red).
    func startSandbox() async {
        let sandbox = Sandbox(configuration: SandboxConfiguration(home: configuration.home))
        let report = await sandbox.probe()
        self.sandbox = sandbox
        processSteps = ProcessStepRuntime(sandbox: sandbox)
        addStatus("sandbox") { [weak sandbox] in sandbox?.report.json ?? .null }
        if report.ready && report.mode == .bubblewrap {
            logger.info("sandbox ready", metadata: [
                "namespaces": "\(report.namespaces)", "seccomp": "\(report.seccomp)",
                "cgroups": "\(report.cgroups ?? "none")", "network_isolation": "\(report.networkIsolation)",
            ])
        } else {
            logger.warning("sandbox degraded", metadata: ["mode": "\(report.mode.rawValue)", "ready": "\(report.ready)",
                                                          "problems": "\(report.problems.joined(separator: "; "))"])
        }
    }

    /// The sandbox, or `unavailable` before start.
    public func requireProcessSteps() throws -> ProcessStepRuntime {
        guard let processSteps else { throw KernelError.unavailable("the sandbox is not started") }
        return processSteps
    }
}
