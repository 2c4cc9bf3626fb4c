import KernelCore

/// Steps ready to start, oldest first: (run, step). A FIFO with O(1) append and pop (a
/// `forEach` step can put thousands of items here), compacted as it drains.
struct ReadyQueue {
    private var entries: [(EntityID, String)] = []
    private var head = 0

    var isEmpty: Bool { head >= entries.count }
    var count: Int { entries.count - head }

    mutating func append(_ e: (EntityID, String)) { entries.append(e) }

    mutating func popFirst() -> (EntityID, String)? {
        guard head < entries.count else { return nil }
        let e = entries[head]
        head += 1
        if head >= 1024, head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return e
    }

    mutating func removeAll(where drop: ((EntityID, String)) -> Bool) {
        entries = entries[head...].filter { !drop($0) }
        head = 0
    }
}
