import KernelCore

/// Receives a streamed result (columns, rows, end) on the calling worker
/// thread. Returning false from `columns` / `row` stops the statement.
public protocol RowSink: AnyObject {
    func columns(_ columns: [QueryColumn]) -> Bool
    func row(_ cells: [JSON]) -> Bool
    func end(truncated: Bool, rowsAffected: Int64?)
}

/// Collects a whole result in memory, defending the kernel against a plugin
/// that ignores `max_rows`: rows past the limit stop the statement and mark
/// the result truncated.
public final class RowCollector: RowLimiting {
    public private(set) var columns: [QueryColumn] = []
    public private(set) var rows: [[JSON]] = []
    public private(set) var truncated = false
    public private(set) var rowsAffected: Int64?
    public private(set) var ended = false
    let limit: Int64

    public init(maxRows: Int64) {
        limit = maxRows < 0 ? ConnectorLimits.maxCollectedRows : min(maxRows, ConnectorLimits.maxCollectedRows)
    }

    public func columns(_ columns: [QueryColumn]) -> Bool {
        self.columns = columns
        return true
    }

    public func row(_ cells: [JSON]) -> Bool {
        if Int64(rows.count) >= limit {
            truncated = true
            return false
        }
        rows.append(cells)
        return true
    }

    public func end(truncated: Bool, rowsAffected: Int64?) {
        self.truncated = self.truncated || truncated
        self.rowsAffected = rowsAffected
        ended = true
    }

    /// True when the collector itself stopped the plugin (limit reached).
    public var stoppedByLimit: Bool { truncated && !ended }

    func result(elapsedMs: Int64) -> QueryResult {
        QueryResult(columns: columns, rows: rows, truncated: truncated, rowsAffected: rowsAffected, elapsedMs: elapsedMs)
    }
}
