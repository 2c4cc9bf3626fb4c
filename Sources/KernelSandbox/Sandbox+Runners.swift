import CKernelSupport
import Glibc
import KernelCore
import KernelLoop

/// A warm runner as the sandbox starts it: the process (the same wrapper chain as a
/// cold step), its cgroup leaf, and the kernel's end of its control socket.
struct RunnerLaunch {
    var process: Process
    var leaf: CgroupLeaf?
    /// The kernel's end of the control socket (owned by the caller).
    var controlFd: Int32
}

extension Sandbox {
    /// Inside-sandbox path of the warm runner script.
    static let runnerScript = "/python/mcpk_warm.py"
    /// The interpreter of runners for non-Python steps (inside the read-only /usr every sandbox has).
    static let execRunnerPython = "/usr/bin/python3"

    /// Starts a warm runner for steps like `spec`: the slot `slot` is the work dir it
    /// binds at the work mount for its whole life; `spec`'s files are written into it
    /// so the runner can compile the component's code before the first attempt.
    func launchRunner(_ spec: StepSpec, slot: String, name: String) throws -> RunnerLaunch {
        guard report.ready else {
            throw KernelError.unavailable("sandbox unavailable: " + report.problems.joined(separator: "; "))
        }
        try prepareWorkDirectory(slot, spec: spec)
        var leaf: CgroupLeaf?
        if let cg = cgroups {
            leaf = try? cg.createLeaf(name: name, memoryBytes: spec.memoryMb * 1024 * 1024, maxProcesses: spec.maxProcesses)
        }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            leaf?.remove()
            throw KernelError.unavailable("socketpair: \(String(cString: strerror(errno)))")
        }
        defer { close(pair[1]) }  // the runner's end: uv_spawn dup2s it to fd 3
        var seccompFd: Int32 = -1
        if report.mode == .bubblewrap {
            do { seccompFd = try SeccompFilter.exportToPipe(runner: true) } catch {
                close(pair[0])
                leaf?.remove()
                throw error
            }
        }
        defer { if seccompFd >= 0 { close(seccompFd) } }
        let p = paths(forWorkDirectory: slot)
        // A Python step forks from the runner's own interpreter; any other program (node) is
        // exec'd by each fork of a runner running Debian's python3.
        let isPython = (spec.executable.split(separator: "/").last ?? "").hasPrefix("python")
        let command = isPython ? [spec.executable, "-B", p.runtime + Sandbox.runnerScript] + spec.arguments
                               : [Sandbox.execRunnerPython, "-B", p.runtime + Sandbox.runnerScript, "--exec", spec.executable] + spec.arguments
        let options = processOptions(spec, work: slot, leaf: leaf, seccompFd: seccompFd, command: command,
                                     channel: [.fd(pair[1]), .ignore])
        do {
            let process = try Process(loop: KernelRuntime.loop, options: options)
            return RunnerLaunch(process: process, leaf: leaf, controlFd: pair[0])
        } catch {
            close(pair[0])
            leaf?.remove()
            throw KernelError.unavailable("cannot start warm runner: \(error)")
        }
    }

    /// Readies a runner's slot for the next attempt: everything the last one left is
    /// removed, then `inputs.json` and the spec's files are written.
    /// File system work only (any thread: `slotFiles` runs it off the loop).
    nonisolated static func refillSlot(_ slot: String, spec: StepSpec) throws {
        removeChildren(of: slot)
        try writeStepFiles(slot, spec: spec)
    }

    /// Moves what an attempt left in the slot to the attempt's own work dir
    /// (`$MCPK_HOME/work/<run>/<step>/<attempt>`, as for a cold step).
    /// File system work only (any thread: `slotFiles` runs it off the loop).
    nonisolated static func keepSlot(_ slot: String, as work: String) {
        removeTree(work)
        guard ensureDirectory(work, mode: 0o700) else { return }
        for name in directoryEntries(slot) where rename(slot + "/" + name, work + "/" + name) != 0 {
            removeTree(slot + "/" + name)
        }
    }

    /// The attempt's clean environment as a map (sent to the runner per attempt).
    func attemptEnvironment(_ spec: StepSpec, slot: String) -> [String: String] {
        environmentMap(spec, paths: paths(forWorkDirectory: slot))
    }
}
