import ArgumentParser
import CKernelSupport
import Glibc
import KernelPlugins

/// `mcpk plugin-host --path X` (hidden): the child of `process` isolation.
/// Loads one plugin and serves the kernel's calls on stdin/stdout; the
/// plugin's own stdout is redirected to stderr so it cannot corrupt the pipe.
struct PluginHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-host", abstract: "Serve one plugin to the kernel over stdin/stdout (internal).",
        shouldDisplay: false)

    @Option(help: "Path of the plugin shared library.")
    var path: String

    func run() throws {
        // A crashing plugin must end this process at once (no in-process
        // backtracer that might resume it): the kernel sees EOF and the signal.
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] { signal(sig, SIG_DFL) }
        let out = dup(1)
        dup2(2, 1)
        // If the kernel dies, its end of the pipe closes and we see EOF; a
        // plugin stuck in a call is ended by the parent-death signal.
        _ = mcpk_set_parent_death_signal(SIGKILL)
        let code = PluginHostChild.run(path: path, fdIn: 0, fdOut: out)
        throw ExitCode(code)
    }
}
