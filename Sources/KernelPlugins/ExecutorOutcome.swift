import KernelCore

/// How a planned step process ended (`mcpk_outcome`), for `finish`. Crosses the
/// plugin-host pipe as JSON.
public struct ExecutorOutcome: Sendable, Equatable {
    public var exitCode: Int32
    public var termSignal: Int32
    public var timedOut: Bool
    public var cancelled: Bool
    /// The last fd 3 `result` (JSON text), or nil.
    public var resultJSON: String?
    /// The last fd 3 `error` (JSON text), or nil.
    public var errorJSON: String?
    public var stderrTail: String
    public var stdoutTail: String

    public init(exitCode: Int32, termSignal: Int32, timedOut: Bool, cancelled: Bool, resultJSON: String?, errorJSON: String?,
                stderrTail: String, stdoutTail: String) {
        self.exitCode = exitCode
        self.termSignal = termSignal
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.resultJSON = resultJSON
        self.errorJSON = errorJSON
        self.stderrTail = stderrTail
        self.stdoutTail = stdoutTail
    }

    public var json: JSON {
        .object(JSONObject([("exit_code", .int(Int64(exitCode))), ("term_signal", .int(Int64(termSignal))),
                            ("timed_out", .bool(timedOut)), ("cancelled", .bool(cancelled)), ("result", JSON(resultJSON)),
                            ("error", JSON(errorJSON)), ("stderr_tail", .string(stderrTail)), ("stdout_tail", .string(stdoutTail))]))
    }

    public init(json: JSON) {
        self.init(exitCode: Int32(truncatingIfNeeded: json["exit_code"]?.intValue ?? -1),
                  termSignal: Int32(truncatingIfNeeded: json["term_signal"]?.intValue ?? 0),
                  timedOut: json["timed_out"]?.boolValue ?? false, cancelled: json["cancelled"]?.boolValue ?? false,
                  resultJSON: json["result"]?.stringValue, errorJSON: json["error"]?.stringValue,
                  stderrTail: json["stderr_tail"]?.stringValue ?? "", stdoutTail: json["stdout_tail"]?.stringValue ?? "")
    }
}
