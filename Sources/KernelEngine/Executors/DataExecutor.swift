import KernelCore
import KernelLoop

/// `Data` steps: SQL through a stored connection and its connector plugin (no sandbox: the
/// credentials stay in the kernel). `query` may use `${inputs.x}` placeholders (rendered as
/// text) and positional `params` (resolved against the inputs); `maxRows` caps the rows.
/// The result is `{columns, rows, row_count, truncated, elapsed_ms}`.
@KernelActor
public final class DataExecutor: StepExecutor {
    /// Runs SQL on a connection: (connection id or name, sql, params, maxRows) → result JSON.
    public typealias Runner = @KernelActor (String, String, [JSON], Int64) async throws -> JSON

    public let types: [ComponentType] = [.data]
    /// Default and largest `maxRows` (the component catalogue's limits).
    public static let defaultMaxRows: Int64 = 1000
    let runner: Runner

    public init(runner: @escaping Runner) { self.runner = runner }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        guard let connection = inv.config["connection"]?.stringValue, !connection.isEmpty else { return .failed("the Data component has no connection") }
        guard let raw = inv.config["query"]?.stringValue ?? inv.config["sql"]?.stringValue else { return .failed("the Data component has no query") }
        let context = ReferenceContext(inputs: inv.inputs)
        do {
            let sqlValue = try Template.parse(raw).resolve(in: context)
            let sql: String
            if case .string(let s) = sqlValue { sql = s } else { sql = sqlValue.serialized() }
            let params = try (inv.config["params"]?.arrayValue ?? inv.inputs["params"]?.arrayValue ?? []).map { try Template.resolveValue($0, in: context) }
            let maxRows = inv.config["maxRows"]?.intValue ?? DataExecutor.defaultMaxRows
            events.log("query on '\(connection)' (max \(maxRows) rows)", stream: "kernel")
            let result = try await runner(connection, sql, params, maxRows)
            guard !cancellation.isStopped else { return .failed("cancelled") }
            if let n = result["row_count"]?.intValue ?? result["rows"]?.arrayValue.map({ Int64($0.count) }) {
                events.progress(1, message: "\(n) rows")
            }
            return .succeeded(result)
        } catch let e as ExpressionError {
            return .failed(e.message)
        } catch let e as KernelError {
            return .failed(e.message)
        } catch {
            return .failed("\(error)")
        }
    }
}
