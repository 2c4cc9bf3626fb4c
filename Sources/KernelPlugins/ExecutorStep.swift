import KernelCore

/// One step as the executor ABI describes it (`mcpk_step`), for `plan`, `finish`
/// and `invoke`: the `StepCall`, and the secrets of an in-process step. Crosses the
/// plugin-host pipe as JSON (`json` / `init(json:)`).
public struct ExecutorStep: Sendable, Equatable {
    public var call: StepCall
    /// `{name: plaintext}` of the secrets the component references (invoke only), or nil.
    public var secrets: JSON?

    public init(_ call: StepCall, secrets: JSON? = nil) {
        self.call = call
        self.secrets = secrets
    }

    public init(componentType: String, config: JSON, inputs: JSON, workDirectory: String, runId: String, stepId: String,
                attempt: Int, secrets: JSON? = nil, runtimeDirectory: String?) {
        self.init(StepCall(componentType: componentType, config: config, inputs: inputs, workDirectory: workDirectory, runId: runId,
                           stepId: stepId, attempt: attempt, runtimeDirectory: runtimeDirectory),
                  secrets: secrets)
    }

    public var json: JSON {
        var o = JSONObject([("component_type", .string(call.componentType)), ("config", call.config), ("inputs", call.inputs),
                            ("run_id", .string(call.runId)), ("step_id", .string(call.stepId)),
                            ("attempt", .int(Int64(call.attempt)))])
        if !call.workDirectory.isEmpty { o["work_dir"] = .string(call.workDirectory) }
        if let secrets { o["secrets"] = secrets }
        if let runtimeDirectory = call.runtimeDirectory { o["runtime_dir"] = .string(runtimeDirectory) }
        return .object(o)
    }

    public init(json: JSON) {
        self.init(componentType: json["component_type"]?.stringValue ?? "", config: json["config"] ?? .object(JSONObject()),
                  inputs: json["inputs"] ?? .object(JSONObject()), workDirectory: json["work_dir"]?.stringValue ?? "",
                  runId: json["run_id"]?.stringValue ?? "", stepId: json["step_id"]?.stringValue ?? "",
                  attempt: Int(json["attempt"]?.intValue ?? 1), secrets: json["secrets"],
                  runtimeDirectory: json["runtime_dir"]?.stringValue)
    }
}
