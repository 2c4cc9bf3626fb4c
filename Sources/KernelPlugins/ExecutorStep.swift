import KernelCore

/// One step as the executor ABI describes it (`mcpk_step`), for `plan`, `finish`
/// and `invoke`. Crosses the plugin-host pipe as JSON (`json` / `init(json:)`).
public struct ExecutorStep: Sendable, Equatable {
    public var componentType: String
    public var config: JSON
    public var inputs: JSON
    public var workDirectory: String
    public var runId: String
    public var stepId: String
    public var attempt: Int
    /// `{name: plaintext}` of the secrets the component references (invoke only), or nil.
    public var secrets: JSON?
    public var runtimeDirectory: String?

    public init(componentType: String, config: JSON, inputs: JSON, workDirectory: String, runId: String, stepId: String,
                attempt: Int, secrets: JSON? = nil, runtimeDirectory: String?) {
        self.componentType = componentType
        self.config = config
        self.inputs = inputs
        self.workDirectory = workDirectory
        self.runId = runId
        self.stepId = stepId
        self.attempt = attempt
        self.secrets = secrets
        self.runtimeDirectory = runtimeDirectory
    }

    public var json: JSON {
        var o = JSONObject([("component_type", .string(componentType)), ("config", config), ("inputs", inputs),
                            ("work_dir", .string(workDirectory)), ("run_id", .string(runId)), ("step_id", .string(stepId)),
                            ("attempt", .int(Int64(attempt)))])
        if let secrets { o["secrets"] = secrets }
        if let runtimeDirectory { o["runtime_dir"] = .string(runtimeDirectory) }
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
