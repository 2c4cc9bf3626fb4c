import Glibc
import KernelCore
import Testing
@testable import KernelLoop

@KernelActor final class Counter { var value = 0 }

@Suite struct ExecutorTests {
    @Test func kernelActorRunsOnTheLoopThread() async throws {
        let onLoop = await Task { @KernelActor in KernelRuntime.executor.isCurrent }.value
        #expect(onLoop)
        #expect(!KernelRuntime.executor.isCurrent)
    }

    @Test func workerResultsHopBackToTheLoop() async throws {
        let worker = WorkerThread(name: "test-worker")
        let result = try await Task { @KernelActor () -> (Int, Bool) in
            let counter = Counter()
            for i in 1...100 {
                counter.value += try await worker.run { i }
            }
            return (counter.value, KernelRuntime.executor.isCurrent)
        }.value
        worker.join()
        #expect(result.0 == 5050)
        #expect(result.1)
    }

    /// Jobs that keep the KernelActor queue non-empty (each one enqueues the next before it
    /// ends) must not hold the loop: timers and sockets still get their turn between batches.
    /// An executor that drained its queue until empty ran such a stream without ever returning
    /// to libuv, and every timer (and every libpq wait) behind it starved.
    @Test func aStreamOfJobsDoesNotStarveTimers() async throws {
        let fired = try await withCheckedThrowingContinuation { (done: CheckedContinuation<Bool, Error>) in
            Task { @KernelActor in
                do {
                    let stream = JobStream(done: done, giveUpNs: MonotonicClock.nanoseconds() + 10_000_000_000)
                    let timer = try Timer.after(loop: KernelRuntime.loop, ms: 20) { stream.timerFired = true }
                    stream.timer = timer
                    stream.next()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
        #expect(fired)
    }

    @Test func workerErrorsPropagate() async {
        struct Boom: Error {}
        let worker = WorkerThread(name: "test-worker-err")
        await #expect(throws: Boom.self) {
            try await worker.run { () throws -> Int in throw Boom() }
        }
        worker.join()
    }
}

/// A chain of KernelActor jobs, each enqueueing the next while it runs, until the timer
/// fired or the (real-clock) give-up time passed.
@KernelActor final class JobStream {
    let done: CheckedContinuation<Bool, Error>
    let giveUpNs: UInt64
    var timerFired = false
    var timer: Timer?

    init(done: CheckedContinuation<Bool, Error>, giveUpNs: UInt64) {
        self.done = done
        self.giveUpNs = giveUpNs
    }

    func next() {
        if timerFired || MonotonicClock.nanoseconds() >= giveUpNs {
            timer?.close()
            done.resume(returning: timerFired)
            return
        }
        Task { @KernelActor in self.next() }
    }
}
