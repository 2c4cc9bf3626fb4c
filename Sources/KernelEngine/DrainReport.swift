/// What a graceful drain (`RunEngine.drain`) did: the steps running when it began that ended
/// within the grace period, and those still running at its end (stopped by `stop()`; their
/// runs stay `running` and are retried after a restart, "interrupted by kernel restart").
public struct DrainReport: Sendable, Equatable {
    public var drained: Int
    public var left: Int
    public var waitedMilliseconds: Double

    public init(drained: Int, left: Int, waitedMilliseconds: Double) {
        self.drained = drained; self.left = left; self.waitedMilliseconds = waitedMilliseconds
    }

    /// The line `mcpk serve` prints on the way out.
    public var summary: String {
        func steps(_ n: Int) -> String { n == 1 ? "1 step" : "\(n) steps" }
        return "drained \(steps(drained)), left \(steps(left)) running (retried after restart) in \(Int(waitedMilliseconds.rounded())) ms"
    }
}
