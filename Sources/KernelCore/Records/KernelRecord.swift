/// One kernel of a cluster sharing a store (`kernels` table): written by its heartbeat every
/// lease/3 and shown by `cluster.status`.
public struct KernelRecord: Sendable, Equatable {
    /// Explicit life cycle as the kernel itself reports it.
    public enum State: String, Sendable { case running, stopped }

    public var id: String
    public var host: String
    public var version: String
    public var startedAt: Timestamp
    public var heartbeatAt: Timestamp
    public var runningSteps: Int
    public var capacity: Int
    public var activeRuns: Int
    public var state: State

    public init(id: String, host: String, version: String, startedAt: Timestamp, heartbeatAt: Timestamp,
                runningSteps: Int, capacity: Int, activeRuns: Int, state: State) {
        self.id = id; self.host = host; self.version = version; self.startedAt = startedAt; self.heartbeatAt = heartbeatAt
        self.runningSteps = runningSteps; self.capacity = capacity; self.activeRuns = activeRuns; self.state = state
    }
}
