import KernelCore
import KernelLoop

extension RunEngine {
    /// The running steps of this engine as `run/step`, for the drain's log lines.
    var runningStepNames: [String] {
        active.values.flatMap { run in
            run.steps.values.filter { $0.status == .running }.map { "\(run.run.id)/\($0.definition.id)" }
        }.sorted()
    }

    /// Graceful drain, the first half of a clean stop (SIGTERM): no step starts and no run is
    /// claimed or taken over any more, leases keep being renewed, and running steps get up to
    /// `graceMilliseconds` to end (their outcomes are journaled as usual, so a run whose last
    /// step ends here finishes). Logs what it waits for. `stop()` follows and interrupts what
    /// still runs; recovery retries it after a restart.
    ///
    /// The one home of drain logic: a later hand-back of this kernel's queued runs to other
    /// kernels (scale-out) belongs here, after the wait.
    public func drain(graceMilliseconds: UInt64) async -> DrainReport {
        guard phase == .running else { return DrainReport(drained: 0, left: runningSteps, waitedMilliseconds: 0) }
        phase = .draining
        let started = MonotonicClock.milliseconds()
        let initial = Set(runningStepNames)
        if initial.isEmpty { return DrainReport(drained: 0, left: 0, waitedMilliseconds: 0) }
        logger.info("draining: no new steps start; waiting for running steps", metadata: [
            "steps": "\(initial.sorted().joined(separator: ", "))", "grace_ms": "\(graceMilliseconds)"])
        let deadline = started + Double(graceMilliseconds)
        var nextLog = started + EngineLimits.drainProgressLogMilliseconds
        while runningSteps > 0 && MonotonicClock.milliseconds() < deadline {
            await sleep(ms: 20)
            if MonotonicClock.milliseconds() >= nextLog {
                nextLog += EngineLimits.drainProgressLogMilliseconds
                logger.info("draining: still waiting", metadata: ["steps": "\(runningStepNames.joined(separator: ", "))",
                                                                 "remaining_ms": "\(Int(max(0, deadline - MonotonicClock.milliseconds())))"])
            }
        }
        let still = runningStepNames
        let left = initial.intersection(still).count
        let report = DrainReport(drained: initial.count - left, left: left, waitedMilliseconds: MonotonicClock.milliseconds() - started)
        if still.isEmpty {
            logger.info("drained: every running step ended", metadata: ["steps": "\(report.drained)"])
        } else {
            logger.warning("drain grace over: steps still running are interrupted and retried after restart",
                           metadata: ["steps": "\(still.joined(separator: ", "))"])
        }
        return report
    }
}
