import KernelCore
import KernelLoop
import KernelPlugins
import KernelSandbox

/// What the kernel lends executor plugins' steps: connections, extra operations,
/// secrets. Each is nil when the kernel has no such service (the callback then
/// answers `unavailable`).
public struct PluginStepServices {
    /// Runs SQL through a stored connection (name or id).
    public var query: (@KernelActor @Sendable (String, QueryRequest) async throws -> QueryResult)?
    /// Runs SQL through a stored connection streaming into a relay (a Data step's rows
    /// reach the plugin batch by batch, never collected whole).
    public var stream: (@KernelActor @Sendable (String, QueryRequest, RowRelay) async throws -> Void)?
    /// `plugin.call` (libffi).
    public var callOp: (@KernelActor @Sendable (String, String, [JSON]) async throws -> JSON)?
    /// `{name: plaintext}` of the secrets a step's component references, or nil.
    public var secrets: (@KernelActor (StepInvocation) async throws -> JSON?)?
    /// Members the kernel adds to an invoke step's config (e.g. `connectionSchema` for an
    /// `LLM Prompt Agent` that declares a `connection`), or nil.
    public var context: (@KernelActor (StepInvocation) async throws -> JSONObject?)?
    /// Answers a process step's `query` on fd 4 (the sandbox refuses undeclared connections).
    public var processQuery: (@KernelActor (StepInvocation, StepQuery) async throws -> JSON)?
    /// A value with its `BlobReference`s replaced by their stored values (the inputs of an
    /// in-process `invoke` step, which the ABI hands over in one piece).
    public var materialize: (@KernelActor (JSON) async throws -> JSON)?

    public init() {}
}
