import Glibc
import KernelCore
import MCPKPluginABI

/// A process executor's C table (`mcpk_executor` of include/mcpk/plugin.h)
/// with its `plugin_data`, callable from Swift. The plugin host owns the
/// library; this only borrows the table while the plugin stays loaded.
public struct ExecutorTable: @unchecked Sendable {
    public let table: UnsafePointer<mcpk_executor>
    public let pluginData: UnsafeMutableRawPointer?
    /// Keeps the library that owns the table loaded while this value lives.
    public let owner: AnyObject?

    public init(table: UnsafePointer<mcpk_executor>, pluginData: UnsafeMutableRawPointer?, owner: AnyObject? = nil) {
        self.table = table
        self.pluginData = pluginData
        self.owner = owner
    }

    /// Component types the executor declares.
    public var componentTypes: [String] {
        guard let types = table.pointee.component_types else { return [] }
        return (0..<table.pointee.component_type_count).compactMap { types[$0].map { String(cString: $0) } }
    }

    public var canPlan: Bool { table.pointee.plan != nil }

    /// The step as the ABI describes it.
    public struct Step: Sendable {
        public var componentType: String
        public var config: JSON
        public var inputs: JSON
        public var workDirectory: String
        public var runId: String
        public var stepId: String
        public var attempt: Int
        public var runtimeDirectory: String?
        public init(componentType: String, config: JSON, inputs: JSON, workDirectory: String, runId: String, stepId: String,
                    attempt: Int, runtimeDirectory: String?) {
            self.componentType = componentType
            self.config = config
            self.inputs = inputs
            self.workDirectory = workDirectory
            self.runId = runId
            self.stepId = stepId
            self.attempt = attempt
            self.runtimeDirectory = runtimeDirectory
        }
    }

    /// Calls `plan`; returns the process spec JSON. Runs on the caller's
    /// thread (plan only formats JSON); an `invalid_params` error carries the plugin's message.
    public func plan(_ step: Step) throws -> JSON {
        guard let plan = table.pointee.plan else { throw KernelError.invalidParams("executor cannot plan processes") }
        var out = mcpk_string()
        var err = mcpk_error()
        let status = withStep(step) { s in plan(pluginData, s, &out, &err) }
        defer { out.release?(&out); err.release?(&err) }
        guard status == MCPK_STATUS_OK else {
            throw ExecutorTable.error(status, err.message.map { String(cString: $0) } ?? "plan failed (status \(status))")
        }
        guard let data = out.data else { throw KernelError.internal("plan returned no spec") }
        do {
            return try JSONParser.parse(String(cString: data))
        } catch {
            throw KernelError.internal("plan returned malformed JSON: \(error)")
        }
    }

    /// Calls `finish` if the executor has one; nil means the default
    /// (fd 3 result is the result, a failure fails the step).
    public func finish(_ step: Step, outcome: StepOutcome) -> Result<JSON, KernelError>? {
        guard let finish = table.pointee.finish else { return nil }
        var out = mcpk_string()
        var err = mcpk_error()
        let exitCode: Int32, signal: Int32
        switch outcome.termination {
        case .exited(let c): exitCode = Int32(truncatingIfNeeded: c); signal = 0
        case .signaled(let s): exitCode = -1; signal = s
        case .timedOut, .cancelled: exitCode = -1; signal = SIGKILL
        case .failedToStart: exitCode = -1; signal = 0
        }
        let resultText = outcome.result?.serialized()
        let errorText = outcome.error.map { JSON.object(JSONObject([("type", "error"), ("message", .string($0))])).serialized() }
        let stderrTail = outcome.stderrTail.joined(separator: "\n")
        let status: Int32 = withStep(step) { s in
            withOptionalCString(resultText) { r in
                withOptionalCString(errorText) { e in
                    stderrTail.withCString { st in
                        "".withCString { so in
                            var o = mcpk_outcome()
                            o.struct_size = MemoryLayout<mcpk_outcome>.size
                            o.exit_code = exitCode
                            o.term_signal = signal
                            o.timed_out = outcome.termination == .timedOut ? 1 : 0
                            o.cancelled = outcome.termination == .cancelled ? 1 : 0
                            o.result_json = r
                            o.error_json = e
                            o.stderr_tail = st
                            o.stdout_tail = so
                            return finish(pluginData, s, &o, &out, &err)
                        }
                    }
                }
            }
        }
        defer { out.release?(&out); err.release?(&err) }
        guard status == MCPK_STATUS_OK else {
            return .failure(KernelError(.internal, err.message.map { String(cString: $0) } ?? "step failed (status \(status))"))
        }
        guard let data = out.data, let v = try? JSONParser.parse(String(cString: data)) else { return .success(.null) }
        return .success(v)
    }

    private func withStep<T>(_ step: Step, _ body: (UnsafePointer<mcpk_step>) -> T) -> T {
        step.componentType.withCString { type in
            step.config.serialized().withCString { config in
                step.inputs.serialized().withCString { inputs in
                    step.workDirectory.withCString { work in
                        step.runId.withCString { run in
                            step.stepId.withCString { sid in
                                withOptionalCString(step.runtimeDirectory) { rt in
                                    var s = mcpk_step()
                                    s.struct_size = MemoryLayout<mcpk_step>.size
                                    s.component_type = type
                                    s.config_json = config
                                    s.inputs_json = inputs
                                    s.work_dir = work
                                    s.run_id = run
                                    s.step_id = sid
                                    s.attempt = Int32(truncatingIfNeeded: step.attempt)
                                    s.secrets_json = nil
                                    s.runtime_dir = rt
                                    return body(&s)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func error(_ status: Int32, _ message: String) -> KernelError {
        switch status {
        case MCPK_STATUS_INVALID_ARGUMENT: return .invalidParams(message)
        case MCPK_STATUS_NOT_FOUND: return .notFound(message)
        case MCPK_STATUS_FORBIDDEN: return .forbidden(message)
        case MCPK_STATUS_NOT_IMPLEMENTED: return .unavailable(message)
        default: return .internal(message)
        }
    }
}

func withOptionalCString<T>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}
