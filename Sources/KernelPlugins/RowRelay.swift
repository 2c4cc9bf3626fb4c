import KernelCore
import KernelLoop

/// Hands a streamed result from the connection's worker thread to an executor plugin's
/// thread through a bounded queue (`capacity` items), so a Data step's rows flow batch by
/// batch without the whole result in memory: the producer blocks while the queue is full,
/// and either side can stop. Rows past `maxRows` stop the statement and mark it truncated
/// (the defence `RowCollector` gives collected results).
public final class RowRelay: RowLimiting, @unchecked Sendable {
    /// Items (columns, rows, end) buffered between the two threads.
    public static let capacity = 1024

    public enum Item {
        case columns([QueryColumn])
        case row([JSON])
        case end(truncated: Bool, rowsAffected: Int64?)
    }

    private let lock = ConditionLock()
    private var queue: [Item] = []
    private var head = 0
    private var producing = true
    private var stopped = false
    private var rows: Int64 = 0
    private var limitReached = false
    private var ended = false
    private let maxRows: Int64

    public init(maxRows: Int64) { self.maxRows = maxRows < 0 ? Int64.max : maxRows }

    // MARK: producer (the connection's worker thread)

    public func columns(_ columns: [QueryColumn]) -> Bool { push(.columns(columns)) }

    public func row(_ cells: [JSON]) -> Bool {
        let over = lock.withLock { () -> Bool in
            if rows >= maxRows { limitReached = true; return true }
            rows += 1
            return false
        }
        return over ? false : push(.row(cells))
    }

    public func end(truncated: Bool, rowsAffected: Int64?) {
        lock.withLock { ended = true }
        _ = push(.end(truncated: truncated, rowsAffected: rowsAffected))
    }

    /// The producer is done (the statement returned or failed): the consumer drains what is left.
    public func finishProducing() {
        lock.withLock {
            producing = false
            lock.broadcast()
        }
    }

    private func push(_ item: Item) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !stopped && queue.count - head >= RowRelay.capacity { lock.wait() }
        if stopped { return false }
        queue.append(item)
        lock.broadcast()
        return true
    }

    // MARK: consumer (the plugin's thread)

    /// The next item, waiting for it; nil once the producer finished and the queue is empty,
    /// or after `stop`.
    public func next() -> Item? {
        lock.lock()
        defer { lock.unlock() }
        while !stopped && head == queue.count && producing { lock.wait() }
        if stopped || head == queue.count { return nil }
        let item = queue[head]
        head += 1
        if head >= RowRelay.capacity { queue.removeFirst(head); head = 0 }
        lock.broadcast()
        return item
    }

    /// No more items wanted (the plugin's sink refused one, or the step was cancelled): the
    /// producer's next call returns false, which stops the statement.
    public func stop() {
        lock.withLock {
            stopped = true
            lock.broadcast()
        }
    }

    /// True when rows past `maxRows` were refused before the statement ended.
    public var stoppedByLimit: Bool { lock.withLock { limitReached && !ended } }
}
