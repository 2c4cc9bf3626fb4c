import KernelLoop
import KernelPlugins

/// The `connection.query` calls in flight, by request id: `connection.cancel {request_id}`
/// cancels one (its task, which `ConnectionRuntime.query` turns into `mcpk_connector.cancel`).
/// On the loop.
@KernelActor
package final class RunningQueries {
    private var tasks: [String: Task<QueryResult, Error>] = [:]

    package init() {}

    package func contains(_ id: String) -> Bool { tasks[id] != nil }

    package func add(_ id: String, _ task: Task<QueryResult, Error>) { tasks[id] = task }

    package func remove(_ id: String) { tasks[id] = nil }

    /// True when a query of that id was running (and is now asked to stop).
    package func cancel(_ id: String) -> Bool {
        guard let t = tasks[id] else { return false }
        t.cancel()
        return true
    }
}
