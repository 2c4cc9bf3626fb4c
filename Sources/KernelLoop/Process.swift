import CLibUV
import Glibc

/// A child process started with `uv_spawn`. Loop-thread only.
///
/// The kernel reads every output pipe itself and reports a process as
/// finished only after it has exited AND every output pipe has reached EOF,
/// so output that arrives after exit is never lost.
public final class Process: Handle {
    /// What the child gets on one file descriptor.
    public enum Stdio {
        /// /dev/null-like: nothing.
        case ignore
        /// The kernel's own descriptor (e.g. for debugging).
        case inherit
        /// A pipe the child writes and the kernel reads (stdout, stderr, fd 3).
        case output
        /// A pipe the kernel writes and the child reads (stdin, fd 4).
        case input
        /// An existing descriptor of the kernel, passed as is.
        case fd(Int32)
    }

    public struct Options {
        public var executable: String
        public var arguments: [String]
        /// Full environment (`KEY=value`); empty means an empty environment.
        public var environment: [String]
        public var workingDirectory: String?
        /// Index = child fd.
        public var stdio: [Stdio]
        /// New session and process group (kill the whole group with `killGroup`).
        public var detached: Bool

        public init(executable: String, arguments: [String] = [], environment: [String] = [],
                    workingDirectory: String? = nil, stdio: [Stdio] = [.ignore, .output, .output],
                    detached: Bool = true) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.stdio = stdio
            self.detached = detached
        }
    }

    /// How the process ended.
    public struct Exit: Sendable, Equatable {
        public var status: Int64
        public var signal: Int32
        public var succeeded: Bool { status == 0 && signal == 0 }
        public init(status: Int64, signal: Int32) {
            self.status = status
            self.signal = signal
        }
    }

    /// Explicit lifecycle.
    public enum Phase: Equatable { case running, exitedDraining, finished }

    public private(set) var pid: Int32 = 0
    public private(set) var phase: Phase = .running
    public private(set) var exit: Exit?
    /// Pipes the kernel writes to, by child fd.
    public private(set) var inputs: [Int: Pipe] = [:]
    /// Pipes the kernel reads from, by child fd.
    public private(set) var outputs: [Int: Pipe] = [:]

    /// Output bytes from a child fd; the buffer is valid during the call only.
    public var onOutput: ((Int, UnsafeRawBufferPointer) -> Void)?
    /// Exit seen; output may still be draining.
    public var onExit: ((Exit) -> Void)?
    /// Exit seen and every output pipe closed.
    public var onFinish: ((Exit) -> Void)?

    private var openOutputs = 0

    /// Spawns the process. On failure nothing is left open.
    public init(loop: Loop, options: Options) throws {
        super.init(loop: loop, type: UV_PROCESS)
        var containers = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: options.stdio.count)
        var created: [(Int, Pipe, Bool)] = []
        func cleanup() { for (_, p, _) in created { p.close() } }
        for (fd, spec) in options.stdio.enumerated() {
            switch spec {
            case .ignore:
                containers[fd].flags = UV_IGNORE
            case .inherit:
                containers[fd].flags = UV_INHERIT_FD
                containers[fd].data.fd = Int32(fd)
            case .fd(let own):
                containers[fd].flags = UV_INHERIT_FD
                containers[fd].data.fd = own
            case .output, .input:
                let p: Pipe
                do { p = try Pipe(loop: loop) } catch { cleanup(); discardUninitialized(); throw error }
                let isOutput: Bool
                if case .output = spec { isOutput = true } else { isOutput = false }
                // Flags are from the child's point of view.
                let dir = isOutput ? UV_WRITABLE_PIPE.rawValue : UV_READABLE_PIPE.rawValue
                containers[fd].flags = uv_stdio_flags(rawValue: UV_CREATE_PIPE.rawValue | dir)
                containers[fd].data.stream = p.stream
                created.append((fd, p, isOutput))
            }
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([options.executable] + options.arguments).map { strdup($0) }
        argv.append(nil)
        var envp: [UnsafeMutablePointer<CChar>?] = options.environment.map { strdup($0) }
        envp.append(nil)
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var opts = uv_process_options_t()
        opts.exit_cb = { p, status, signal in
            guard let owner = Handle.owner(UnsafeMutableRawPointer(p), as: Process.self) else { return }
            owner.exited(Exit(status: status, signal: signal))
        }
        let rc: Int32 = options.executable.withCString { file in
            (options.workingDirectory ?? "").withCString { cwd in
                argv.withUnsafeMutableBufferPointer { av in
                    envp.withUnsafeMutableBufferPointer { ev in
                        containers.withUnsafeMutableBufferPointer { cs in
                            opts.file = file
                            opts.args = av.baseAddress
                            opts.env = ev.baseAddress
                            opts.cwd = options.workingDirectory == nil ? nil : cwd
                            opts.flags = options.detached ? UV_PROCESS_DETACHED.rawValue : 0
                            opts.stdio_count = Int32(cs.count)
                            opts.stdio = cs.baseAddress
                            return uv_spawn(loop.raw, UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_process_t.self), &opts)
                        }
                    }
                }
            }
        }
        if rc != 0 {
            cleanup()
            // uv_spawn initialises the handle even on failure: it must be closed.
            adopt()
            close()
            throw UVError(rc, "uv_spawn(\(options.executable))")
        }
        adopt()
        pid = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_process_t.self).pointee.pid
        for (fd, p, isOutput) in created {
            if isOutput {
                outputs[fd] = p
                openOutputs += 1
                p.onRead = { [unowned self] buf in self.onOutput?(fd, buf) }
                p.onEnd = { [unowned self] _ in self.outputClosed(fd) }
            } else {
                inputs[fd] = p
            }
        }
    }

    /// Starts delivering output. Separate from init so callers can set callbacks first.
    public func start() {
        for (fd, p) in outputs {
            do { try p.startReading() } catch { outputClosed(fd) }
        }
        if outputs.isEmpty { maybeFinish() }
    }

    private func outputClosed(_ fd: Int) {
        guard let p = outputs[fd] else { return }
        p.close()
        openOutputs -= 1
        maybeFinish()
    }

    private func exited(_ e: Exit) {
        exit = e
        if phase == .running { phase = .exitedDraining }
        onExit?(e)
        maybeFinish()
    }

    private func maybeFinish() {
        guard phase == .exitedDraining, openOutputs == 0, let e = exit else { return }
        phase = .finished
        for (_, p) in inputs { p.close() }
        let cb = onFinish
        onFinish = nil
        onOutput = nil
        close()
        cb?(e)
    }

    /// Sends a signal to the process. Returns false if it already exited.
    @discardableResult
    public func kill(_ signal: Int32) -> Bool {
        guard exit == nil, pid > 0 else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    /// Sends a signal to the whole process group (requires `detached`).
    @discardableResult
    public func killGroup(_ signal: Int32) -> Bool {
        guard pid > 0 else { return false }
        return Glibc.kill(-pid, signal) == 0
    }
}
