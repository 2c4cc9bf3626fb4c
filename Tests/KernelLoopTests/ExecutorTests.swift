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

    @Test func workerErrorsPropagate() async {
        struct Boom: Error {}
        let worker = WorkerThread(name: "test-worker-err")
        await #expect(throws: Boom.self) {
            try await worker.run { () throws -> Int in throw Boom() }
        }
        worker.join()
    }
}
