import Glibc
import KernelCore
import KernelDispatch
import KernelLoop
import KernelTransport

/// Feeds the run/step metrics (`mcpk_runs_total`, `mcpk_runs_active`, `mcpk_steps_total`,
/// `mcpk_step_duration_seconds`) from the engine's dashboard feed, through the public
/// control method `events.subscribe` — an internal `Session`, like an SSE client without
/// a socket. Step durations are measured from a step's `running` to its terminal status.
@KernelActor
final class RunMetricsFeed: Session {
    /// Steps being timed at once; older entries are forgotten beyond it.
    static let maxTrackedSteps = 100_000

    private var subscriptions: [String: @KernelActor () -> Void] = [:]
    private var runStatus: [String: String] = [:]
    private var stepStarted: [String: Double] = [:]
    private(set) var isOpen = true

    /// Subscribes when the engine provides the feed; returns false otherwise.
    func start(_ dispatcher: Dispatcher) async -> Bool {
        guard dispatcher.has("events.subscribe") else { return false }
        let ctx = CallContext(actor: "kernel:metrics", transport: .internal, session: self, requestID: "metrics-feed")
        if case .success = await dispatcher.call("events.subscribe", params: [:], context: ctx) { return true }
        return false
    }

    func stop() {
        isOpen = false
        let subs = subscriptions
        subscriptions = [:]
        for (_, cancel) in subs { cancel() }
    }

    func notify(_ method: String, _ params: JSON) -> Bool {
        guard isOpen else { return false }
        let event = SSEStream.eventObject(params)
        guard event["type"]?.stringValue == "status_change", let payload = event["payload"],
              let status = payload["status"]?.stringValue, let runID = event["run_id"]?.stringValue else { return true }
        let type = payload["type"]?.stringValue ?? payload["component_type"]?.stringValue ?? ""
        switch payload["entity"]?.stringValue {
        case "run":
            Metrics.runs.increment(["status": status])
            if let previous = runStatus[runID] { Metrics.runsActive.decrement(["status": previous]) }
            if RunStatus(rawValue: status)?.isTerminal ?? false {
                runStatus[runID] = nil
            } else {
                runStatus[runID] = status
                Metrics.runsActive.increment(["status": status])
            }
        case "step":
            Metrics.steps.increment(["status": status, "type": type])
            let key = runID + "/" + (payload["step"]?.stringValue ?? "") + "/" + String(payload["attempt"]?.intValue ?? 0)
            if status == "running" {
                if stepStarted.count >= RunMetricsFeed.maxTrackedSteps { stepStarted.removeAll() }
                stepStarted[key] = MonotonicClock.milliseconds()
            } else if StepStatus(rawValue: status)?.isTerminal ?? false, let t0 = stepStarted.removeValue(forKey: key) {
                Metrics.stepDuration.observe((MonotonicClock.milliseconds() - t0) / 1000, ["type": type])
            }
        default:
            break
        }
        return true
    }

    func addSubscription(_ id: String, onCancel: @escaping @KernelActor () -> Void) { subscriptions[id] = onCancel }

    func removeSubscription(_ id: String) { subscriptions.removeValue(forKey: id)?() }

}
