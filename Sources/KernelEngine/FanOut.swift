import KernelCore
import KernelLoop

/// The items of a running `forEach` step: which are still to start, which are in flight, and
/// each settled item's result (the step's result is their ordered list). Starting, settling
/// and finishing cost O(1) per item, so a 10,000-item step schedules in O(items).
@KernelActor
final class FanOut {
    let items: [JSON]
    /// Item results in item order; `nil` until settled, `.null` for a skipped (`when` false)
    /// item or a failed one tolerated by `continueOnError`.
    var results: [JSON?]
    /// Indices not started yet, in order, from `head`.
    var toStart: [Int]
    var head = 0
    /// Items queued, running or retrying.
    var inFlight = 0
    var settled = 0
    /// Items in flight at once.
    let maxParallel: Int
    /// The first item that failed for good (no `continueOnError`): no more items start, and
    /// the step fails once those in flight return.
    var failure: (index: Int, message: String, timedOut: Bool)?
    /// The settled list is being moved into the blob store (the step ends when that returns).
    var spooling = false

    init(items: [JSON], maxParallel: Int) {
        self.items = items
        results = Array(repeating: nil, count: items.count)
        toStart = Array(items.indices)
        self.maxParallel = max(1, maxParallel)
    }

    var hasMoreToStart: Bool { head < toStart.count }

    func takeNext() -> Int? {
        guard head < toStart.count else { return nil }
        defer { head += 1 }
        return toStart[head]
    }

    var isComplete: Bool { settled == items.count }

    /// The step's result: the items' results in order.
    var result: JSON { .array(results.map { $0 ?? .null }) }
}
