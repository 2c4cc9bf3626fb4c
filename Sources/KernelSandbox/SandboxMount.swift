/// A host directory shown read-only to a step at another path (a git checkout
/// at `SandboxLimits.sourceMount`), so the step never learns the kernel home's layout.
/// Without bubblewrap (`MCPK_SANDBOX=none`) the step sees `source` itself.
public struct SandboxMount: Sendable, Equatable {
    /// Host path (absolute).
    public var source: String
    /// Path inside the sandbox (absolute).
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}
