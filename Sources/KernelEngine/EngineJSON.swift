import KernelCore

/// The engine's wire forms of a step with its attempts (snake_case, RFC 3339 times), used by
/// `run.get` / `run.subscribe` snapshots. A run and an event have ONE JSON form each, in
/// KernelCore (`WorkflowRun.json`, `RunEvent.json`), used by every method and transport.
public enum EngineJSON {
    public static func attempt(_ s: StepRun) -> JSON {
        var o = JSONObject()
        o["attempt"] = JSON(s.attempt)
        o["status"] = .string(s.status.rawValue)
        o["error"] = JSON(s.error)
        o["started_at"] = s.startedAt?.json ?? .null
        o["finished_at"] = s.finishedAt?.json ?? .null
        o["duration_ms"] = s.startedAt.flatMap { st in s.finishedAt.map { .int($0.milliseconds - st.milliseconds) } } ?? .null
        return .object(o)
    }

    /// A step with all its attempts (oldest first); the latest attempt carries the step's state.
    public static func step(_ attempts: [StepRun]) -> JSON {
        guard let last = attempts.last else { return .null }
        var o = JSONObject()
        o["id"] = .string(last.stepID)
        o["status"] = .string(last.status.rawValue)
        o["attempt"] = JSON(last.attempt)
        o["component_id"] = .string(last.componentID)
        o["component_version"] = JSON(last.componentVersion)
        o["result"] = last.result
        o["error"] = JSON(last.error)
        o["started_at"] = (attempts.first { $0.startedAt != nil }?.startedAt)?.json ?? .null
        o["finished_at"] = last.finishedAt?.json ?? .null
        o["attempts"] = .array(attempts.map(attempt))
        o["errors"] = .array(attempts.compactMap { $0.error.map { .string($0) } })
        return .object(o)
    }
}
