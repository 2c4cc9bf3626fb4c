import KernelLoop

/// A FIFO lock for async code on the loop (serialises write transactions on
/// SQLite's single writer connection). No thread blocks: waiters suspend.
@KernelActor
final class AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
