/// One attempt of a component step as an executor sees it, whatever runs it: what to run
/// (the component type and its config, the resolved inputs) and where (the attempt's work
/// dir, its run, step and attempt number, the kernel-provisioned step runtimes). The
/// sandbox asks for a plan with it (`StepPlanning`); the plugin ABI's `mcpk_step` carries it
/// (`ExecutorStep`, with the secrets of an in-process step).
public struct StepCall: Sendable, Equatable {
    public var componentType: String
    public var config: JSON
    public var inputs: JSON
    /// The attempt's work dir (`WorkDirectory`), made by the sandbox.
    public var workDirectory: String
    public var runId: String
    public var stepId: String
    public var attempt: Int
    /// Where the kernel-provisioned step runtimes live (`MCPK_RUNTIME_DIR`), if set.
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
