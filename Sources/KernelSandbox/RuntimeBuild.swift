import KernelCore
import KernelLoop

/// One runtime build in flight, shared by everyone waiting for it: each waiter listens to
/// its events (log lines, progress) from the moment it joined until the build ends.
@KernelActor
final class RuntimeBuild {
    private var listeners: [Int: @KernelActor (StepEvent) -> Void] = [:]
    private var nextListener = 0
    var task: Task<Void, Error>?

    func listen(_ onEvent: @escaping @KernelActor (StepEvent) -> Void) -> Int {
        nextListener += 1
        listeners[nextListener] = onEvent
        return nextListener
    }

    func stopListening(_ id: Int) { listeners[id] = nil }

    func emit(_ e: StepEvent) {
        for id in listeners.keys.sorted() { listeners[id]?(e) }
    }

    /// Waits for the end with `onEvent` listening meanwhile.
    func join(_ onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws {
        let id = listen(onEvent)
        defer { stopListening(id) }
        guard let task else { throw KernelError.internal("runtime build has no task") }
        try await task.value
    }
}
