import KernelCore
import KernelEngine
import KernelLoop

extension Kernel {
    /// Waits until the run has finished or `timeoutMs` passed, then returns its snapshot
    /// (`run.get`'s JSON). Used by the entry points that answer with a result (webhooks with
    /// `?wait=`, MCP tool calls).
    func waitForRun(_ id: EntityID, timeoutMs: Int) async throws -> JSON {
        let engine = try requireEngine()
        let once = Once()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            once.continuation = c
            do {
                once.timer = try Timer.after(loop: KernelRuntime.loop, ms: UInt64(max(0, timeoutMs))) { once.fire() }
            } catch {
                once.fire()
            }
            Task { @KernelActor in
                await engine.waitUntilFinished(id)
                once.fire()
            }
        }
        return try await engine.snapshot(id)
    }
}

/// Resumes a continuation once, from whichever of several events comes first.
@KernelActor
final class Once {
    var continuation: CheckedContinuation<Void, Never>?
    var timer: Timer?

    func fire() {
        timer?.close()
        timer = nil
        continuation?.resume()
        continuation = nil
    }
}
