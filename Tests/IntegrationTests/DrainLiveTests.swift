import Foundation
import Glibc
import KernelCore
import Testing

/// Graceful drain (issue 17) through a real `mcpk serve` child and SIGTERM: a step that sleeps
/// 2 s finishes successfully within `MCPK_SHUTDOWN_GRACE` and `mcpk serve` says it drained it;
/// with a short grace a long step is left (said so), interrupted, and retried after a restart.
@Suite("Live: graceful drain on SIGTERM", .serialized)
struct DrainLiveTests {
    static let nap = """
    import os, time
    def main(seconds, **kw):
        attempt = int(os.environ["MCPK_ATTEMPT"])
        print("napping attempt", attempt, flush=True)
        if attempt == 1:
            time.sleep(seconds)
        return {"attempt": attempt}
    """

    /// Polls until the run's step printed its first line (the process really runs).
    static func waitPrinted(_ f: EngineLiveTests.Fixture, _ runID: String, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try f.stdout(runID).contains(where: { $0.contains("napping attempt 1") }) { return }
            usleep(50_000)
        }
        throw KernelError.unavailable("run \(runID)'s step did not start in \(timeout)s")
    }

    static func setUp(_ f: EngineLiveTests.Fixture) throws {
        try f.python("nap", nap)
        try f.workflow("nap", [
            "inputs": ["type": "object", "properties": ["seconds": ["type": "number"]], "required": ["seconds"]],
            "steps": [["id": "s", "component": "nap", "inputs": ["seconds": "${inputs.seconds}"],
                       "retries": ["max": 1, "backoffSeconds": 0]]],
            "outputs": ["attempt": "${steps.s.result.attempt}"],
        ])
    }

    @Test(arguments: LiveBackend.enabled)
    func sigtermDrainsShortStepsAndLeavesLongOnes(_ backend: LiveBackend) throws {
        let home = KernelProcess.makeHome()
        let env = try backend.environment()
        // 1. A 2 s step under a 30 s grace (the default; KernelProcess sets 0): drained, the
        // run succeeds on attempt 1.
        var f = try EngineLiveTests.Fixture(env: env.merging(["MCPK_SHUTDOWN_GRACE": "30"]) { $1 }, home: home)
        // A fixture's kernel removes the home when freed: keep every one until the end.
        var kept = [f]
        defer { _ = kept }
        let tag = f.tag
        try Self.setUp(f)
        let short = try f.run("nap", ["seconds": 2])
        try Self.waitPrinted(f, short)
        #expect(f.kernel.stop() == 0)
        let log1 = f.kernel.log()
        #expect(log1.contains("draining: no new steps start; waiting for running steps"), "\(log1)")
        #expect(log1.contains("\(short)/s"), "the drain names what it waits for")
        #expect(log1.contains("drained 1 step, left 0 steps running"), "\(log1)")

        // 2. Restart with a short grace: the first run is done; a 60 s step is left.
        f = try EngineLiveTests.Fixture(env: env.merging(["MCPK_SHUTDOWN_GRACE": "0.5"]) { $1 }, home: home, tag: tag)
        kept.append(f)
        let first = try f.wait(short)
        #expect(first["status"] == "succeeded" && first["outputs"]?["attempt"] == 1, "\(first)")
        let long = try f.run("nap", ["seconds": 60])
        try Self.waitPrinted(f, long)
        #expect(f.kernel.stop() == 0)
        let log2 = f.kernel.log()
        #expect(log2.contains("drain grace over"), "\(log2)")
        #expect(log2.contains("drained 0 steps, left 1 step running"), "\(log2)")

        // 3. After a restart the interrupted step is retried and the run succeeds on attempt 2.
        f = try EngineLiveTests.Fixture(env: env, home: home, tag: tag)
        kept.append(f)
        let resumed = try f.wait(long)
        #expect(resumed["status"] == "succeeded" && resumed["outputs"]?["attempt"] == 2, "\(resumed)")

        // A bad grace names the setting and its limit.
        do {
            let bad = try KernelProcess.start(env: env.merging(["MCPK_SHUTDOWN_GRACE": "soon"]) { $1 })
            bad.stop()
            Issue.record("a kernel started with MCPK_SHUTDOWN_GRACE=soon")
        } catch let e as KernelError {
            #expect(e.message.contains("MCPK_SHUTDOWN_GRACE must be a number of seconds from 0 to 3600"), "\(e.message)")
        }
    }
}
