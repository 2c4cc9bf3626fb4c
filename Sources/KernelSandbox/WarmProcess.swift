import CKernelSupport
import Glibc
import KernelCore
import KernelLoop

/// One step attempt run as a fresh fork of a `WarmRunner`.
///
/// The kernel creates the attempt's own pipes (stdout, stderr, the fd 3 channel and
/// the fd 4 answers), hands the child ends to the runner with the request
/// (SCM_RIGHTS) and keeps the other ends, so the step's output reaches `StepProcess`
/// exactly as a cold step's does. Like `Process`, it is finished only after the
/// runner reported the fork's exit (stragglers already killed) AND every output
/// pipe reached EOF.
@KernelActor
final class WarmProcess: StepProcessBackend {
    enum Phase: Equatable { case created, running, exitedDraining, finished }

    /// Child fds the kernel reads (stdout, stderr, channel) and writes (answers).
    static let outputFds = [1, 2, Int(SandboxLimits.channelFd)]
    static let answerFd = Int(SandboxLimits.answerFd)

    private(set) var phase: Phase = .created
    /// The fork's pid inside the runner's pid namespace (0 until started).
    private(set) var pid: Int32 = 0
    var onOutput: ((Int, UnsafeRawBufferPointer) -> Void)?
    var onExit: ((Process.Exit) -> Void)?
    var onFinish: ((Process.Exit) -> Void)?
    private(set) var keptWorkDirectory: String?
    private(set) var failureNote: String?

    private let runner: WarmRunner
    private let request: JSON
    /// Where the attempt's files go once it ended.
    private let workDirectory: String
    private var outputs: [Int: Pipe] = [:]
    private var answers: Pipe?
    /// Child ends, sent to the runner then closed here.
    private var childEnds: [Int32] = []
    private var exit: Process.Exit?
    private var oomKillsAtStart: Int

    /// Creates the pipes; nothing runs until `start`.
    init(runner: WarmRunner, environment: [String: String], workingDirectory: String, workDirectory: String) throws {
        self.runner = runner
        self.workDirectory = workDirectory
        var env = JSONObject()
        for k in environment.keys.sorted() { env[k] = .string(environment[k] ?? "") }
        request = ["op": "run", "env": .object(env), "cwd": .string(workingDirectory)]
        oomKillsAtStart = runner.oomKills()
        var created: [Int32] = []
        func fail(_ what: String) -> KernelError {
            for fd in created { Glibc.close(fd) }
            for p in outputs.values { p.close() }
            answers?.close()
            return KernelError.unavailable("warm runner attempt: \(what): \(String(cString: strerror(errno)))")
        }
        for fd in WarmProcess.outputFds {
            var ends: [Int32] = [-1, -1]
            guard mcpk_pipe_cloexec(&ends) == 0 else { throw fail("pipe") }
            created.append(ends[1])
            let p: Pipe
            do {
                p = try Pipe(loop: KernelRuntime.loop)
                try p.open(fd: ends[0])
            } catch {
                Glibc.close(ends[0])
                throw fail("pipe open")
            }
            outputs[fd] = p
        }
        var ends: [Int32] = [-1, -1]
        guard mcpk_pipe_cloexec(&ends) == 0 else { throw fail("pipe") }
        created.append(ends[0])
        do {
            let p = try Pipe(loop: KernelRuntime.loop)
            try p.open(fd: ends[1])
            answers = p
        } catch {
            Glibc.close(ends[1])
            throw fail("pipe open")
        }
        childEnds = created  // order: stdout, stderr, channel (write ends), answers (read end)
    }

    func start() {
        guard phase == .created else { return }
        phase = .running
        for (fd, p) in outputs {
            p.onRead = { [weak self] buf in self?.onOutput?(fd, buf) }
            p.onEnd = { [weak self] _ in self?.outputClosed(fd) }
            do { try p.startReading() } catch { outputClosed(fd) }
        }
        let sent = runner.dispatch(self, request: request, fds: childEnds)
        for fd in childEnds { Glibc.close(fd) }
        childEnds = []
        if !sent { runnerExited(Process.Exit(status: 127, signal: 0)) }
    }

    // MARK: from the runner

    func runnerStarted(pid: Int32) { self.pid = pid }

    /// The fork exited (or the runner died: `note` says how): every process of the attempt is gone.
    func runnerExited(_ e: Process.Exit, note: String? = nil) {
        guard exit == nil else { return }
        failureNote = note
        exit = e
        if phase == .running || phase == .created { phase = .exitedDraining }
        onExit?(e)
        maybeFinish()
    }

    // MARK: signals

    @discardableResult
    func killGroup(_ signal: Int32) -> Bool {
        guard exit == nil else { return false }
        return runner.signalAttempt(signal)
    }

    @discardableResult
    func kill(_ signal: Int32) -> Bool { killGroup(signal) }

    func writeAnswer(_ text: String) { _ = answers?.write(text) }

    func attemptMemoryLimitHit() -> Bool { runner.oomKills() > oomKillsAtStart }

    // MARK: end

    private func outputClosed(_ fd: Int) {
        guard let p = outputs.removeValue(forKey: fd) else { return }
        p.close()
        maybeFinish()
    }

    /// Closes the kernel's ends without waiting (the runner died mid-attempt and
    /// stragglers could hold the write ends until the namespace is torn down).
    func abandonOutputs() {
        for fd in Array(outputs.keys) { outputClosed(fd) }
    }

    private func maybeFinish() {
        guard phase == .exitedDraining, outputs.isEmpty, let e = exit else { return }
        phase = .finished
        answers?.close()
        answers = nil
        let cb = onFinish
        onFinish = nil
        onOutput = nil
        let slot = runner.slot, work = workDirectory
        // The slot's files move to the attempt's work dir off the loop (a mkdir on ext4 may wait
        // for a disk read: on the loop it stalled every run of the kernel, bench/scale); the
        // runner gets its slot back, and the step its end, only once they are moved.
        Task { @KernelActor in
            do { try await self.runner.sandbox.slotFiles.run { Sandbox.keepSlot(slot, as: work) } } catch {
                Sandbox.keepSlot(slot, as: work)  // the worker is stopping (kernel shutdown): here, then
            }
            self.keptWorkDirectory = work
            self.runner.attemptFinished(self)
            cb?(e)
        }
    }
}
