/// A sink that stops a statement itself once its row limit is reached (`RowCollector`,
/// `RowRelay`): the backend then reports a truncated success instead of the plugin's
/// "stopped" status.
public protocol RowLimiting: RowSink {
    /// True when the sink refused a row at its limit before the statement ended.
    var stoppedByLimit: Bool { get }
}
