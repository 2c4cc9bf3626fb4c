import Glibc
import KernelCore
import KernelLoop

/// One running step: its process, channel, limits and timers. Created by
/// `Sandbox.start`; the engine keeps the handle to `cancel()` and awaits
/// `outcome()`. Events arrive through `onEvent` as they happen.
@KernelActor
public final class StepProcess {
    public enum Phase: Equatable { case running, terminating, finished }

    public let spec: StepSpec
    public let workDirectory: String
    public private(set) var phase: Phase = .running
    public var pid: Int32 { process?.pid ?? 0 }
    /// The step's cgroup leaf directories (empty without delegated cgroups).
    public var cgroupDirectories: [String] { leaf?.dirs ?? [] }

    private let workMount: String
    private var process: StepProcessBackend?
    private var onEvent: (@KernelActor (StepEvent) -> Void)?
    private let onQuery: (@KernelActor (StepQuery) async throws -> JSON)?
    private let leaf: CgroupLeaf?
    private var lines: [Int: LineBuffer] = [:]
    private var logBytes = 0
    private var truncatedStreams: Set<String> = []
    private var channelBytes = 0
    private var result: JSON?
    private var resultFile: String?
    private var reportedError: String?
    private var artifacts: [StepArtifact] = []
    private var stderrTail: [String] = []
    /// The last lines of stdout, at most `stdoutTailBytes` (`mcpk_outcome.stdout_tail`).
    private var stdoutTail: [String] = []
    private var stdoutTailSize = 0
    private var stopReason: StepOutcome.Termination?
    private var timeoutTimer: Timer?
    private var killTimer: Timer?
    private var queriesInFlight = 0
    private var finalOutcome: StepOutcome?
    private var waiters: [CheckedContinuation<StepOutcome, Never>] = []
    private let startedAt = Timestamp.now()
    static let stderrTailLines = 40
    /// `mcpk_outcome.stdout_tail`: at most 64 KiB (include/mcpk/plugin.h).
    static let stdoutTailBytes = 64 << 10
    /// A leaf stays busy until its last (killed) process has exited: retried this often, this far apart.
    static let leafRemovalAttempts = 100
    static let leafRemovalIntervalMs: UInt64 = 100

    static func removeLater(_ leaf: CgroupLeaf, attemptsLeft: Int) {
        guard attemptsLeft > 0 else { return }
        _ = try? Timer.after(loop: KernelRuntime.loop, ms: leafRemovalIntervalMs) {
            leaf.killAll()
            if !leaf.remove() { removeLater(leaf, attemptsLeft: attemptsLeft - 1) }
        }
    }

    /// A cold step: spawns the sandbox chain described by `options`.
    convenience init(spec: StepSpec, options: Process.Options, workDirectory: String, workMount: String, leaf: CgroupLeaf?,
                     onEvent: @escaping @KernelActor (StepEvent) -> Void, onQuery: (@KernelActor (StepQuery) async throws -> JSON)?) throws {
        let p: Process
        do {
            p = try Process(loop: KernelRuntime.loop, options: options)
        } catch {
            leaf?.remove()
            throw KernelError.unavailable("cannot start step process: \(error)")
        }
        self.init(spec: spec, backend: p, workDirectory: workDirectory, workMount: workMount, leaf: leaf,
                  onEvent: onEvent, onQuery: onQuery)
    }

    /// Any backend (a warm runner's fork passes no leaf: the runner's own leaf is not the step's to kill).
    init(spec: StepSpec, backend p: StepProcessBackend, workDirectory: String, workMount: String, leaf: CgroupLeaf?,
         onEvent: @escaping @KernelActor (StepEvent) -> Void, onQuery: (@KernelActor (StepQuery) async throws -> JSON)?) {
        self.spec = spec
        self.workDirectory = workDirectory
        self.workMount = workMount
        self.leaf = leaf
        self.onEvent = onEvent
        self.onQuery = onQuery
        for fd in [1, 2] { lines[fd] = LineBuffer(maxLine: SandboxLimits.maxLogLineBytes) }
        lines[3] = LineBuffer(maxLine: SandboxLimits.maxChannelMessageBytes)
        process = p
        p.onOutput = { [weak self] fd, buf in
            KernelActor.assumeIsolated { self?.output(fd: fd, buf) }
        }
        p.onExit = { [weak self] _ in
            KernelActor.assumeIsolated { self?.exited() }
        }
        p.onFinish = { [weak self] exit in
            KernelActor.assumeIsolated { self?.finished(exit) }
        }
        p.start()
        if let t = try? Timer(loop: KernelRuntime.loop) {
            timeoutTimer = t
            t.start(timeoutMs: spec.timeoutMs) { [weak self] in
                KernelActor.assumeIsolated { self?.stop(.timedOut) }
            }
        }
    }

    /// Stops the step (run cancelled, service over): SIGTERM, grace, SIGKILL of everything.
    public func cancel() { stop(.cancelled) }

    /// Waits for the end (exit and EOF on every pipe).
    public func outcome() async -> StepOutcome {
        if let finalOutcome { return finalOutcome }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func stop(_ reason: StepOutcome.Termination) {
        guard phase == .running else { return }
        phase = .terminating
        stopReason = reason
        timeoutTimer?.close()
        timeoutTimer = nil
        // Ask the step's own processes first; bwrap going away kills the namespace.
        if let leaf {
            for pid in leaf.pids() where pid != process?.pid { kill(pid, SIGTERM) }
        } else {
            process?.killGroup(SIGTERM)
        }
        armKill(after: SandboxLimits.killGraceMs)
    }

    private func armKill(after ms: UInt64) {
        guard killTimer == nil, let t = try? Timer(loop: KernelRuntime.loop) else { return }
        killTimer = t
        t.start(timeoutMs: ms) { [weak self] in
            KernelActor.assumeIsolated { self?.killEverything() }
        }
    }

    private func killEverything() {
        process?.killGroup(SIGKILL)
        process?.kill(SIGKILL)
        leaf?.killAll()
    }

    /// The process exited; stragglers holding pipes (possible only without a pid namespace) are killed after a grace.
    private func exited() {
        leaf?.killAll()
        armKill(after: SandboxLimits.killGraceMs)
    }

    // MARK: output

    private func output(fd: Int, _ buf: UnsafeRawBufferPointer) {
        if fd == Int(SandboxLimits.channelFd) {
            channelBytes += buf.count
            if channelBytes > SandboxLimits.maxChannelBytes {
                if !truncatedStreams.contains("channel") {
                    truncatedStreams.insert("channel")
                    // Later messages (a result among them) are lost: the step fails, saying so.
                    reportedError = reportedError ?? "channel truncated after \(SandboxLimits.maxChannelBytes) bytes "
                        + "(SandboxLimits.maxChannelBytes); later messages were dropped"
                    emit(.truncated(stream: "channel"))
                }
                return
            }
            lines[fd]?.feed(buf) { line, cut in channelLine(line, cut: cut) }
            return
        }
        let stream = fd == 1 ? "stdout" : "stderr"
        if truncatedStreams.contains(stream) { return } // past the cap: drained and dropped
        lines[fd]?.feed(buf) { line, cut in logLine(stream, line, cut: cut) }
    }

    private func logLine(_ stream: String, _ bytes: [UInt8], cut: Bool) {
        let size = bytes.count + 1
        guard logBytes + size <= SandboxLimits.maxLogBytes else {
            if !truncatedStreams.contains(stream) {
                truncatedStreams.insert(stream)
                emit(.truncated(stream: stream))
            }
            return
        }
        logBytes += size
        let line = String(decoding: bytes, as: UTF8.self) + (cut ? " …[line cut]" : "")
        if stream == "stderr" {
            stderrTail.append(line)
            if stderrTail.count > StepProcess.stderrTailLines { stderrTail.removeFirst() }
        } else if stream == "stdout" {
            stdoutTail.append(line)
            stdoutTailSize += line.utf8.count + 1
            while stdoutTailSize > StepProcess.stdoutTailBytes, !stdoutTail.isEmpty {
                stdoutTailSize -= stdoutTail.removeFirst().utf8.count + 1
            }
        }
        emit(.log(stream: stream, line: line))
    }

    private func emit(_ e: StepEvent) { onEvent?(e) }

    private func channelLine(_ bytes: [UInt8], cut: Bool) {
        if bytes.isEmpty { return }
        guard !cut else {
            // Never silent: a message too large for the channel fails the step, naming the limit.
            let text = "channel message over \(SandboxLimits.maxChannelMessageBytes) bytes (SandboxLimits.maxChannelMessageBytes) dropped; "
                + "send large results as a file (the mcpk helpers do)"
            reportedError = reportedError ?? text
            emit(.error(message: text))
            return
        }
        guard let msg = try? JSONParser.parse(bytes), let type = msg["type"]?.stringValue else {
            emit(.log(stream: "kernel", line: "malformed channel message dropped"))
            return
        }
        switch type {
        case "log":
            let stream = msg["stream"]?.stringValue ?? "step"
            let text = msg["message"]?.stringValue ?? msg["line"]?.stringValue ?? ""
            if stream == "stdout" {
                // The runtime's sys.stdout (ordered with progress): the same caps as the stdout pipe.
                guard !truncatedStreams.contains(stream) else { return }
                let bytes = Array(text.utf8)
                logLine(stream, Array(bytes.prefix(SandboxLimits.maxLogLineBytes)), cut: bytes.count > SandboxLimits.maxLogLineBytes)
            } else {
                emit(.log(stream: stream, line: text))
            }
        case "progress":
            let f = msg["fraction"]?.doubleValue.map { min(max($0, 0), 1) }
            emit(.progress(fraction: f, message: msg["message"]?.stringValue))
        case "result_preview":
            emit(.resultPreview(msg["value"] ?? .null))
        case "result":
            // A runner's fallback (notebook: last cell's value) never replaces a result the step sent.
            if msg["fallback"]?.boolValue == true, result != nil || resultFile != nil { return }
            if let file = msg["file"]?.stringValue {
                guard let host = workFile(file, what: "result file") else { return }
                result = nil
                // Relative to the work dir: a warm runner's slot moves to the attempt's work dir.
                resultFile = String(host.dropFirst(workDirectory.count + 1))
                return
            }
            result = msg["value"] ?? .null
            resultFile = nil
            emit(.result(result ?? .null))
        case "error":
            let text = msg["message"]?.stringValue ?? "step error"
            reportedError = text
            emit(.error(message: text))
        case "artifact":
            artifact(msg)
        case "query":
            query(msg)
        default:
            emit(.log(stream: "kernel", line: "unknown channel message type \(type) dropped"))
        }
    }

    private func artifact(_ msg: JSON) {
        guard let name = msg["name"]?.stringValue, !name.isEmpty, let path = msg["path"]?.stringValue else {
            emit(.log(stream: "kernel", line: "artifact without name/path dropped"))
            return
        }
        guard let host = workFile(path, what: "artifact \(name)") else { return }
        let a = StepArtifact(name: name, path: host, mime: msg["mime"]?.stringValue ?? MIMETypes.mediaType(forPath: name))
        artifacts.append(a)
        emit(.artifact(a))
    }

    /// The host path of a regular file the step names inside its work dir, or nil (reported).
    private func workFile(_ path: String, what: String) -> String? {
        var rel = path
        if rel.hasPrefix(workMount + "/") { rel = String(rel.dropFirst(workMount.count + 1)) }
        guard !rel.hasPrefix("/"), !rel.split(separator: "/").contains("..") else {
            reportFileProblem("\(what) outside the work dir refused", what: what)
            return nil
        }
        let host = workDirectory + "/" + rel
        var st = stat()
        // lstat: a symlink planted by the step must not make the kernel read elsewhere.
        guard lstat(host, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            reportFileProblem("\(what): \(path) is not a regular file", what: what)
            return nil
        }
        return host
    }

    /// An artifact problem is a log line; a result that cannot be taken fails the step.
    private func reportFileProblem(_ text: String, what: String) {
        if what == "result file" {
            reportedError = reportedError ?? text
            emit(.error(message: text))
        } else {
            emit(.log(stream: "kernel", line: text))
        }
    }

    private func query(_ msg: JSON) {
        let id = msg["id"] ?? .null
        guard let conn = msg["connection"]?.stringValue, let sql = msg["sql"]?.stringValue else {
            answer(id, error: KernelError.invalidParams("query needs connection and sql"))
            return
        }
        guard spec.declaredConnections.contains(conn) else {
            answer(id, error: KernelError.forbidden("connection \(conn) is not declared by this component"))
            return
        }
        guard let onQuery else {
            answer(id, error: KernelError.unavailable("queries are not available to this step"))
            return
        }
        guard queriesInFlight < SandboxLimits.maxConcurrentQueries else {
            answer(id, error: KernelError.unavailable("too many queries in flight"))
            return
        }
        queriesInFlight += 1
        let q = StepQuery(connection: conn, sql: sql, params: msg["params"] ?? .array([]),
                          maxRows: msg["max_rows"]?.intValue.map { Int($0) })
        Task { @KernelActor [weak self] in
            do {
                let r = try await onQuery(q)
                self?.answer(id, result: r)
            } catch let e as KernelError {
                self?.answer(id, error: e)
            } catch {
                self?.answer(id, error: KernelError.internal("\(error)"))
            }
            self?.queriesInFlight -= 1
        }
    }

    private func answer(_ id: JSON, result: JSON? = nil, error: KernelError? = nil) {
        var o = JSONObject()
        o["id"] = id
        if let error {
            o["ok"] = .bool(false)
            o["error"] = ["kind": .string(error.kind.rawValue), "message": .string(error.message)]
        } else {
            o["ok"] = .bool(true)
            o["result"] = result ?? .null
        }
        process?.writeAnswer(JSON.object(o).serialized() + "\n")
    }

    // MARK: end

    private func finished(_ exit: Process.Exit) {
        for fd in [1, 2] { lines[fd]?.finish { line, cut in logLine(fd == 1 ? "stdout" : "stderr", line, cut: cut) } }
        lines[3]?.finish { line, cut in channelLine(line, cut: cut) }
        timeoutTimer?.close()
        timeoutTimer = nil
        killTimer?.close()
        killTimer = nil
        phase = .finished
        let backend = process
        process = nil
        let memoryHit = (leaf?.memoryLimitHit() ?? false) || (backend?.attemptMemoryLimitHit() ?? false)
        if let note = backend?.failureNote {
            emit(.log(stream: "kernel", line: note))
            if reportedError == nil, stopReason == nil { reportedError = note }
        }
        if let leaf {
            leaf.killAll()
            if !leaf.remove() { StepProcess.removeLater(leaf, attemptsLeft: StepProcess.leafRemovalAttempts) }
        }
        // A warm attempt's files were moved from the runner's slot to the attempt's own dir.
        let kept = backend?.keptWorkDirectory ?? workDirectory
        if kept != workDirectory {
            artifacts = artifacts.map { a in
                var a = a
                if a.path.hasPrefix(workDirectory + "/") { a.path = kept + String(a.path.dropFirst(workDirectory.count)) }
                return a
            }
        }
        let termination: StepOutcome.Termination
        if let stopReason {
            termination = stopReason
        } else if exit.signal != 0 {
            termination = .signaled(exit.signal)
        } else {
            termination = .exited(exit.status)
        }
        var outcome = StepOutcome(termination: termination, result: result, error: reportedError, artifacts: artifacts,
                                  stderrTail: stderrTail, logTruncated: !truncatedStreams.isEmpty,
                                  memoryLimitHit: memoryHit, workDirectory: kept,
                                  durationMs: UInt64(max(0, Timestamp.now().milliseconds - startedAt.milliseconds)))
        outcome.resultFile = resultFile
        outcome.stdoutTail = stdoutTail
        finalOutcome = outcome
        onEvent = nil
        let w = waiters
        waiters = []
        for c in w { c.resume(returning: outcome) }
    }
}
