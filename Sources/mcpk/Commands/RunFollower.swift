import Glibc
import KernelClient
import KernelCore

/// Follows a run's events on the control socket and prints them: step status lines, log
/// lines, a progress bar per running step, results and the end. Survives a kernel restart:
/// on a lost connection it reconnects and resubscribes after the last seq it printed.
/// Ctrl-C asks whether to cancel the run.
final class RunFollower {
    /// How long to keep trying to reach a restarting kernel.
    static let reconnectSeconds = 120.0
    static let reconnectPauseMicros: useconds_t = 250_000
    static let maxResultChars = 400

    let options: ClientOptions
    let runID: String
    let showLogs: Bool
    private(set) var lastSeq: Int64
    private(set) var finalStatus: String?
    /// Prints nothing, only waits for the end (`waitForEnd`).
    private var quiet = false
    /// The last error message printed for each step (an `error` event), so the status
    /// lines that repeat it (the step's `failed`, the run's `failed`) do not print it again.
    private var shownErrors: [String: String] = [:]

    init(options: ClientOptions, runID: String, after: Int64 = 0, showLogs: Bool = true) {
        self.options = options
        self.runID = runID
        self.lastSeq = after
        self.showLogs = showLogs
    }

    /// Prints events until the `end` event; returns the run's final status.
    func follow() throws -> String {
        if !quiet { RunFollower.installInterrupt(options: options, runID: runID) }
        while finalStatus == nil {
            let client: ControlClient
            do { client = try connectWithRetry() } catch { CLI.fail("kernel unreachable: \(error)") }
            do {
                let reply = try client.call("run.subscribe", ["id": .string(runID), "after": .int(lastSeq)])
                for e in reply["events"]?.arrayValue ?? [] { show(e) }
                for n in client.takeNotifications() { if let e = n["params"]?["event"] { show(e) } }
                while finalStatus == nil {
                    guard let msg = try client.readMessage() else { break }
                    if msg["method"] == "run.event", let e = msg["params"]?["event"] { show(e) }
                }
            } catch ControlClient.ClientError.rpc(_, let message, let kind, _) {
                CLI.fail("\(kind): \(message)")
            } catch {
                // Connection lost (kernel restarting): resume after the last seq.
            }
            if finalStatus == nil { note("connection to the kernel lost; resuming after seq \(lastSeq)…") }
        }
        return finalStatus ?? "unknown"
    }

    /// Waits, printing nothing, until the run ends; returns its final status.
    func waitForEnd() -> String {
        quiet = true
        return (try? follow()) ?? "unknown"
    }

    private func connectWithRetry() throws -> ControlClient {
        let path = try options.socketPath()
        var waited = 0.0
        while true {
            if let c = try? ControlClient(path: path) { return c }
            if waited > RunFollower.reconnectSeconds { return try ControlClient(path: path) }
            usleep(RunFollower.reconnectPauseMicros)
            waited += Double(RunFollower.reconnectPauseMicros) / 1_000_000
        }
    }

    /// Prints one event (history mode).
    func print(_ e: JSON) { show(e) }

    private func show(_ e: JSON) {
        guard let seq = e["seq"]?.intValue, seq > lastSeq else { return }
        lastSeq = seq
        if quiet { if e["type"] == "end" { finalStatus = e["payload"]?["status"]?.stringValue ?? "unknown" }; return }
        if options.json { CLI.print(e.serialized()); if e["type"] == "end" { finalStatus = e["payload"]?["status"]?.stringValue ?? "unknown" }; return }
        let step = e["step_id"]?.stringValue
        let p = e["payload"] ?? .null
        let tag = step.map { "[\($0)] " } ?? ""
        switch e["type"]?.stringValue ?? "" {
        case "status_change":
            let status = p["status"]?.stringValue ?? "?"
            if p["entity"] == "run" {
                var line = "run \(status)"
                if let err = p["error"]?.stringValue {
                    // "step 'a' failed: <message>": the message was shown with the step's error.
                    let repeated = shownErrors.contains { err == "step '\($0.key)' failed: \($0.value)" }
                    line += repeated ? " (step error above)" : ": \(err)"
                }
                CLI.print(line)
            } else {
                var line = "\(tag)\(status)"
                if let a = p["attempt"]?.intValue, a > 1 || status == "retrying" { line += " (attempt \(a))" }
                if let d = p["delay_ms"]?.intValue { line += " in \(d) ms" }
                if let r = p["reason"]?.stringValue { line += ": \(r)" }
                if status == "cached", let from = p["cached_from"] {
                    line += " (result of run \(from["run_id"]?.stringValue ?? "?") step \(from["step_id"]?.stringValue ?? "?") attempt \(from["attempt"]?.intValue ?? 0), \(from["backend"]?.stringValue ?? "?"))"
                }
                if let err = p["error"]?.stringValue, status != "cancelled", step.map({ shownErrors[$0] }) != err { line += ": \(err)" }
                CLI.print(line)
            }
        case "log":
            guard showLogs else { return }
            let stream = p["stream"]?.stringValue ?? ""
            CLI.print("\(tag)\(stream == "stderr" ? "! " : stream == "kernel" ? "# " : "")\(p["line"]?.stringValue ?? "")")
        case "progress":
            CLI.print("\(tag)\(CLI.progressBar(p["fraction"]?.doubleValue))" + (p["message"]?.stringValue.map { " \($0)" } ?? ""))
        case "result":
            CLI.print("\(tag)result: \(RunFollower.short(p["value"] ?? .null))")
        case "result_preview":
            CLI.print("\(tag)preview: \(RunFollower.short(p["value"] ?? .null))")
        case "artifact":
            CLI.print("\(tag)artifact \(p["name"]?.stringValue ?? "?") (\(p["mime"]?.stringValue ?? ""))")
        case "error":
            if let step { shownErrors[step] = p["message"]?.stringValue ?? "" }
            CLI.print("\(tag)error (attempt \(p["attempt"]?.intValue ?? 1)): \(p["message"]?.stringValue ?? "")")
        case "end":
            let status = p["status"]?.stringValue ?? "unknown"
            finalStatus = status
            if let o = p["outputs"], !o.isNull { CLI.print("outputs: \(RunFollower.short(o))") }
        default: break
        }
    }

    /// `mcpk: warning: …` on stderr.
    static func warn(_ s: String) {
        var line = "mcpk: warning: " + s + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    private func note(_ s: String) {
        var line = "mcpk: " + s + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func short(_ v: JSON) -> String {
        let s = v.serialized()
        return s.count > maxResultChars ? String(s.prefix(maxResultChars)) + "…" : s
    }

    /// Exit codes: 0 succeeded, 1 failed, 2 timed out, 3 cancelled.
    static func exitCode(_ status: String) -> Int32 {
        switch status {
        case "succeeded": return 0
        case "timed_out": return 2
        case "cancelled": return 3
        default: return 1
        }
    }

    // MARK: Ctrl-C

    nonisolated(unsafe) static var interruptPipe: [Int32] = [-1, -1]
    nonisolated(unsafe) static var interruptContext: (String, String)?

    /// SIGINT → a self-pipe → a thread that asks "cancel the run?" on the terminal.
    static func installInterrupt(options: ClientOptions, runID: String) {
        guard interruptPipe[0] < 0, let socket = try? options.socketPath() else { return }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        interruptPipe = fds
        interruptContext = (socket, runID)
        signal(SIGINT) { _ in
            var b: UInt8 = 1
            _ = write(RunFollower.interruptPipe[1], &b, 1)
        }
        var tid = pthread_t()
        _ = pthread_create(&tid, nil, { _ in
            var b: UInt8 = 0
            var asking = false
            while read(RunFollower.interruptPipe[0], &b, 1) == 1 {
                if asking { exit(130) }
                asking = true
                let prompt = "\nmcpk: cancel the run? [y/N] (Ctrl-C again to detach) "
                _ = prompt.withCString { write(2, $0, strlen($0)) }
                var answer = [UInt8](repeating: 0, count: 16)
                let tty = open("/dev/tty", O_RDONLY)
                let n = tty >= 0 ? read(tty, &answer, answer.count) : 0
                if tty >= 0 { close(tty) }
                if n > 0, answer[0] == UInt8(ascii: "y") || answer[0] == UInt8(ascii: "Y"), let (socket, run) = RunFollower.interruptContext {
                    if let c = try? ControlClient(path: socket) { _ = try? c.call("run.cancel", ["id": .string(run)]) }
                } else if n <= 0 {
                    exit(130)
                }
                asking = false
            }
            return nil
        }, nil)
    }
}
