import KernelCore

/// How a step process ended, with what it reported.
public struct StepOutcome: Sendable {
    public enum Termination: Sendable, Equatable {
        case exited(Int64)
        case signaled(Int32)
        /// Killed by the kernel after its wall-clock timeout.
        case timedOut
        /// Stopped by `cancel()` (run cancelled, service ttl over).
        case cancelled
        /// Never ran (spawn failed, sandbox unavailable).
        case failedToStart(String)
    }

    public var termination: Termination
    /// The last `result` the step sent.
    public var result: JSON?
    /// Path, relative to the attempt's work dir, of the file holding the result's JSON text, when
    /// the step's last `result` named a file (`{"type":"result","file":…}`) instead of the value.
    public var resultFile: String?
    /// The step's reported error (traceback), if any.
    public var error: String?
    public var artifacts: [StepArtifact]
    /// The last lines of stderr (for error messages when the step died without reporting).
    public var stderrTail: [String]
    /// The last lines of stdout (at most 64 KiB), for an executor's `finish`.
    public var stdoutTail: [String] = []
    public var logTruncated: Bool
    /// The cgroup recorded the memory limit being hit.
    public var memoryLimitHit: Bool
    /// Host path of the work dir.
    public var workDirectory: String
    public var durationMs: UInt64

    public var succeeded: Bool {
        if case .exited(0) = termination, error == nil { return true }
        return false
    }

    /// One line for the step's error column.
    public var failureSummary: String {
        if let error { return error }
        switch termination {
        case .exited(0): return "ok"
        case .exited(let c):
            let tail = stderrTail.suffix(5).joined(separator: "\n")
            return "exited with status \(c)" + (tail.isEmpty ? "" : ":\n" + tail)
        case .signaled(let s): return "killed by signal \(s)" + (memoryLimitHit ? " (memory limit)" : "")
        case .timedOut: return "timed out"
        case .cancelled: return "cancelled"
        case .failedToStart(let m): return "failed to start: \(m)"
        }
    }
}
