import Glibc
import KernelCore
import KernelLoop

/// One step process: spawns it, turns stdout/stderr lines into `log` events and fd-3 JSON
/// lines into progress/result_preview/artifact/result, enforces the output cap, and stops the
/// process group on cancellation (SIGTERM, grace, SIGKILL). Finished after exit AND EOF.
@KernelActor
final class ChannelProcess {
    /// Explicit lifecycle.
    enum Phase { case created, running, stopping, finished }

    let spec: StepProcessSpec
    let launcher: StepLauncher
    let grace: UInt64
    let events: StepEventSink
    let artifactDirectory: String
    private var phase: Phase = .created
    private var stdout = LineSplitter(maxLine: EngineLimits.maxLogLineBytes)
    private var stderr = LineSplitter(maxLine: EngineLimits.maxLogLineBytes)
    private var channel = LineSplitter(maxLine: EngineLimits.maxChannelLineBytes)
    private var result: JSON?
    private var reportedError: String?
    private var stderrTail: [String] = []
    private var outputBytes = 0
    private var truncated = false
    private var killTimer: Timer?
    static let stderrTailLines = 20

    init(spec: StepProcessSpec, launcher: StepLauncher, grace: UInt64, events: StepEventSink, artifactDirectory: String) {
        self.spec = spec; self.launcher = launcher; self.grace = grace; self.events = events
        self.artifactDirectory = artifactDirectory
    }

    func run(_ cancellation: StepCancellation) async -> StepOutcome {
        let process: Process
        do {
            process = try Process(loop: KernelRuntime.loop, options: try launcher.options(for: spec))
        } catch {
            return .failed("cannot start \(spec.executable): \(error)")
        }
        phase = .running
        return await withCheckedContinuation { (cont: CheckedContinuation<StepOutcome, Never>) in
            process.onOutput = { [unowned self] fd, buf in
                KernelActor.assumeIsolated { self.output(fd, buf) }
            }
            process.onFinish = { [unowned self] exit in
                KernelActor.assumeIsolated {
                    self.killTimer?.close(); self.killTimer = nil
                    self.phase = .finished
                    cont.resume(returning: self.outcome(exit))
                }
            }
            cancellation.onStop { [unowned self, weak process] _ in
                guard self.phase == .running, let process else { return }
                self.phase = .stopping
                process.killGroup(SIGTERM)
                self.killTimer = try? Timer.after(loop: KernelRuntime.loop, ms: self.grace) { [weak process] in
                    process?.killGroup(SIGKILL)
                }
            }
            process.start()
        }
    }

    private func output(_ fd: Int, _ buf: UnsafeRawBufferPointer) {
        switch fd {
        case 1, 2:
            let lines = fd == 1 ? stdout.feed(buf) : stderr.feed(buf)
            for (line, _) in lines { logLine(line, fd: fd) }
        case 3:
            for (line, cut) in channel.feed(buf) {
                if cut { events.log("channel message over \(EngineLimits.maxChannelLineBytes) bytes dropped", stream: "kernel"); continue }
                message(line)
            }
        default: break
        }
    }

    private func logLine(_ line: String, fd: Int) {
        let stream = fd == 1 ? "stdout" : "stderr"
        if fd == 2 {
            stderrTail.append(line)
            if stderrTail.count > ChannelProcess.stderrTailLines { stderrTail.removeFirst() }
        }
        outputBytes += line.utf8.count + 1
        if outputBytes > EngineLimits.maxOutputBytesPerAttempt {
            if !truncated {
                truncated = true
                events.log("output truncated after \(EngineLimits.maxOutputBytesPerAttempt) bytes", stream: "kernel")
            }
            return
        }
        events.log(line, stream: stream)
    }

    private func message(_ line: String) {
        guard let m = try? JSONParser.parse(line), let type = m["type"]?.stringValue else {
            events.log("malformed channel message ignored", stream: "kernel")
            return
        }
        switch type {
        case "result": result = m["value"] ?? .null
        case "error": reportedError = m["message"]?.stringValue ?? "error"
        case "progress": events.progress(m["fraction"]?.doubleValue, message: m["message"]?.stringValue)
        case "result_preview": events.resultPreview(m["value"] ?? .null)
        case "log": events.log(m["message"]?.stringValue ?? "", stream: "step")
        case "artifact":
            guard let name = m["name"]?.stringValue, ArtifactNames.isValid(name), let path = m["path"]?.stringValue else {
                events.log("artifact with an invalid name ignored", stream: "kernel"); return
            }
            let mime = m["mime"]?.stringValue ?? ArtifactNames.mime(for: name)
            // Copy into the run's artifact dir: the work dir is the step's, the artifact the run's.
            let real = spec.workDirectory + "/" + (path.hasPrefix(spec.workDirectory + "/") ? String(path.dropFirst(spec.workDirectory.count + 1)) : name)
            if let bytes = ArtifactNames.readFile(real, limit: EngineLimits.maxInlineArtifactBytes * 16),
               ArtifactNames.writeFile(artifactDirectory + "/" + name, bytes) {
                events.artifact(name: name, path: artifactDirectory + "/" + name, mime: mime)
            } else {
                events.log("artifact '\(name)' could not be read from the work directory", stream: "kernel")
            }
        default:
            events.log("unknown channel message type '\(type)' ignored", stream: "kernel")
        }
    }

    private func outcome(_ exit: Process.Exit) -> StepOutcome {
        if let (l, _) = stdout.finish() { logLine(l, fd: 1) }
        if let (l, _) = stderr.finish() { logLine(l, fd: 2) }
        if let (l, _) = channel.finish() { message(l) }
        if exit.succeeded, let result { return .succeeded(result) }
        if let reportedError { return .failed(reportedError) }
        let tail = stderrTail.suffix(5).joined(separator: "\n")
        let how = exit.signal != 0 ? "killed by signal \(exit.signal)" : "exited with status \(exit.status)"
        if exit.succeeded { return .failed("the step exited without reporting a result") }
        return .failed(tail.isEmpty ? "the step \(how)" : "the step \(how): \(tail)")
    }
}
