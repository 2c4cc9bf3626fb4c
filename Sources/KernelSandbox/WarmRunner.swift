import CKernelSupport
import Glibc
import KernelCore
import KernelLoop

/// One warm runner: a process started through the full sandbox chain (cgroup leaf,
/// rlimits, no_new_privs, bubblewrap namespaces without network unless declared,
/// seccomp) that imported the runtime and compiled the component's code, and forks
/// once per attempt (`runtime/python/mcpk_warm.py`). It serves one pool (one
/// component version and sandbox profile), one attempt at a time, and is retired
/// after `RunnerSettings.maxSteps` attempts, after `idleSeconds` idle, when its
/// component changes, or when it misbehaves.
@KernelActor
public final class WarmRunner {
    public enum State: String, Sendable { case starting, idle, busy, retiring, dead }

    /// Why a runner stopped serving (counted in the pool report).
    public enum RetireReason: String, Sendable, CaseIterable {
        case maxSteps = "max_steps", idle, componentChanged = "component_changed", died
        case failedToStart = "failed_to_start", protocolError = "protocol_error", shutdown
    }

    /// Longest control line the runner may send.
    static let maxControlLine = 64 * 1024
    /// Runner diagnostics (its own stdout/stderr) kept for a failed start.
    static let diagnosticLines = 20

    public let id: String
    public let poolKey: String
    public private(set) var state: State = .starting
    public private(set) var attemptsServed = 0
    public private(set) var retireReason: RetireReason?
    /// Wall-clock ms of the last change to idle.
    private(set) var idleSince: Int64 = 0

    let sandbox: Sandbox
    /// Host dir bound at the work mount for the runner's life.
    let slot: String
    private var process: Process?
    private var control: Pipe?
    private var controlFd: Int32 = -1
    private var leaf: CgroupLeaf?
    private var lines = LineBuffer(maxLine: WarmRunner.maxControlLine)
    private var diagnostics: [String] = []
    private var readyWaiters: [CheckedContinuation<Bool, Never>] = []
    private var current: WarmProcess?
    private var startTimer: Timer?
    private var killTimer: Timer?
    var onDead: (@KernelActor (WarmRunner) -> Void)?
    var onIdle: (@KernelActor (WarmRunner) -> Void)?

    init(id: String, poolKey: String, sandbox: Sandbox, spec: StepSpec) throws {
        self.id = id
        self.poolKey = poolKey
        self.sandbox = sandbox
        slot = sandbox.workDirectory(runId: "_runners", stepId: id, attempt: 1)
        // The runner's own environment names no step: each attempt gets its own.
        var own = spec
        own.runId = "_runners"
        own.stepId = id
        own.attempt = 0
        let launch = try sandbox.launchRunner(own, slot: slot, name: Sandbox.nextLeafName())
        process = launch.process
        leaf = launch.leaf
        controlFd = launch.controlFd
        do {
            let pipe = try Pipe(loop: KernelRuntime.loop)
            try pipe.open(fd: launch.controlFd)
            control = pipe
        } catch {
            Glibc.close(launch.controlFd)
            controlFd = -1
            launch.process.killGroup(SIGKILL)
            throw KernelError.unavailable("warm runner control socket: \(error)")
        }
        control?.onRead = { [weak self] buf in KernelActor.assumeIsolated { self?.controlBytes(buf) } }
        control?.onEnd = { [weak self] _ in KernelActor.assumeIsolated { self?.controlClosed() } }
        launch.process.onOutput = { [weak self] _, buf in
            KernelActor.assumeIsolated { self?.diagnosticBytes(buf) }
        }
        launch.process.onFinish = { [weak self] exit in
            KernelActor.assumeIsolated { self?.processFinished(exit) }
        }
        launch.process.start()
        try? control?.startReading()
        if let t = try? Timer(loop: KernelRuntime.loop) {
            startTimer = t
            t.start(timeoutMs: RunnerSettings.startTimeoutMs) { [weak self] in
                KernelActor.assumeIsolated {
                    guard let self, self.state == .starting else { return }
                    self.retire(.failedToStart)
                }
            }
        }
    }

    /// Waits until the runner is ready (true) or failed to start (false).
    func ready() async -> Bool {
        switch state {
        case .idle, .busy: return true
        case .retiring, .dead: return false
        case .starting: return await withCheckedContinuation { readyWaiters.append($0) }
        }
    }

    /// Host pid of the runner's sandbox chain (its outer bubblewrap), 0 once gone.
    public var hostPid: Int32 { process?.pid ?? 0 }

    /// What the runner printed itself (a failed start's reason).
    public var diagnosis: String { diagnostics.suffix(5).joined(separator: "\n") }

    /// Cumulative OOM kills of the runner's leaf (an attempt compares before and after).
    func oomKills() -> Int { leaf?.oomKillCount() ?? 0 }

    // MARK: attempts

    /// Claims the idle runner for one attempt.
    func claim() -> Bool {
        guard state == .idle else { return false }
        state = .busy
        return true
    }

    /// Sends the attempt's request with its four child ends; false if the runner cannot take it.
    func dispatch(_ attempt: WarmProcess, request: JSON, fds: [Int32]) -> Bool {
        guard state == .busy, current == nil, controlFd >= 0 else { return false }
        current = attempt
        attemptsServed += 1
        let line = Array((request.serialized() + "\n").utf8)
        let n = line.withUnsafeBytes { b in
            fds.withUnsafeBufferPointer { f in
                mcpk_send_with_fds(controlFd, b.baseAddress, b.count, f.baseAddress, Int32(f.count))
            }
        }
        guard n == line.count else {
            current = nil
            retire(.protocolError)
            return false
        }
        return true
    }

    /// Asks the runner to signal the attempt's process group.
    func signalAttempt(_ signal: Int32) -> Bool {
        guard current != nil, controlFd >= 0 else { return false }
        let line = Array((JSON.object(JSONObject([("op", "kill"), ("signal", .int(Int64(signal)))])).serialized() + "\n").utf8)
        let n = line.withUnsafeBytes { mcpk_send_with_fds(controlFd, $0.baseAddress, $0.count, nil, 0) }
        if n != line.count || signal == SIGKILL { armKill(after: RunnerSettings.retireGraceMs) }
        return n == line.count
    }

    /// The attempt finished (exit + EOF): the runner is idle again, or retired.
    func attemptFinished(_ attempt: WarmProcess) {
        guard current === attempt else { return }
        current = nil
        killTimer?.close()
        killTimer = nil
        guard state == .busy else { return }
        state = .idle
        idleSince = Timestamp.now().milliseconds
        onIdle?(self)
    }

    // MARK: control channel

    private func controlBytes(_ buf: UnsafeRawBufferPointer) {
        var messages: [JSON] = []
        var bad = false
        lines.feed(buf) { line, cut in
            if cut { bad = true; return }
            guard !line.isEmpty else { return }
            if let m = try? JSONParser.parse(line) { messages.append(m) } else { bad = true }
        }
        if bad { retire(.protocolError); return }
        for m in messages { handle(m) }
    }

    private func handle(_ m: JSON) {
        if m["ready"]?.boolValue == true, state == .starting {
            startTimer?.close()
            startTimer = nil
            state = .idle
            idleSince = Timestamp.now().milliseconds
            let w = readyWaiters
            readyWaiters = []
            for c in w { c.resume(returning: true) }
            return
        }
        if let pid = m["started"]?.intValue {
            current?.runnerStarted(pid: Int32(truncatingIfNeeded: pid))
            return
        }
        if let status = m["exited"]?.intValue {
            let signal = Int32(truncatingIfNeeded: m["signal"]?.intValue ?? 0)
            current?.runnerExited(Process.Exit(status: status, signal: signal))
            return
        }
        retire(.protocolError)
    }

    private func controlClosed() {
        if state != .dead && state != .retiring { retire(.died) }
    }

    private func diagnosticBytes(_ buf: UnsafeRawBufferPointer) {
        let text = String(decoding: buf, as: UTF8.self)
        for line in text.split(separator: "\n") {
            diagnostics.append(String(line.prefix(500)))
            if diagnostics.count > WarmRunner.diagnosticLines { diagnostics.removeFirst() }
        }
    }

    // MARK: end

    /// Stops serving: closes the control socket (the runner exits on EOF) and kills
    /// whatever is left after a grace. An attempt in flight ends as killed.
    func retire(_ reason: RetireReason) {
        guard state != .retiring && state != .dead else { return }
        state = .retiring
        retireReason = reason
        stopServing()
        if current != nil {
            process?.killGroup(SIGKILL)
            leaf?.killAll()
        }
        armKill(after: current != nil ? 0 : RunnerSettings.retireGraceMs)
    }

    /// No more attempts: whoever waits for readiness hears "no", the control socket closes
    /// (the runner exits on EOF).
    private func stopServing() {
        startTimer?.close()
        startTimer = nil
        let w = readyWaiters
        readyWaiters = []
        for c in w { c.resume(returning: false) }
        if let c = control {
            control = nil
            controlFd = -1
            c.close()
        }
    }

    private func armKill(after ms: UInt64) {
        guard killTimer == nil, let t = try? Timer(loop: KernelRuntime.loop) else { return }
        killTimer = t
        t.start(timeoutMs: ms) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self else { return }
                if self.state != .retiring && self.state != .dead { self.retireReason = .died; self.state = .retiring }
                self.process?.killGroup(SIGKILL)
                self.process?.kill(SIGKILL)
                self.leaf?.killAll()
            }
        }
    }

    private func processFinished(_ exit: Process.Exit) {
        let attempt = current
        current = nil
        if state != .retiring { retireReason = retireReason ?? (state == .starting ? .failedToStart : .died) }
        state = .dead
        process = nil
        killTimer?.close()
        killTimer = nil
        stopServing()
        if let leaf {
            leaf.killAll()
            if !leaf.remove() { StepProcess.removeLater(leaf, attemptsLeft: StepProcess.leafRemovalAttempts) }
        }
        if let attempt {
            let how = exit.signal != 0 ? "killed by signal \(exit.signal)" : "exited with status \(exit.status)"
            let why = (retireReason.map { " (\($0.rawValue))" } ?? "") + (diagnosis.isEmpty ? "" : ": " + diagnosis)
            attempt.runnerExited(Process.Exit(status: exit.status == 0 ? 137 : exit.status, signal: exit.signal == 0 ? SIGKILL : exit.signal),
                                 note: "the warm runner serving this attempt \(how)\(why)")
            // The namespace is gone, so EOF follows at once; a pipe still open after the grace is closed.
            _ = try? Timer.after(loop: KernelRuntime.loop, ms: RunnerSettings.retireGraceMs) { [weak attempt] in
                KernelActor.assumeIsolated { attempt?.abandonOutputs() }
            }
        }
        removeTree(slot)
        removeTree(slot + ".etc")
        onDead?(self)
    }
}
