import KernelCore

/// Wire forms of runs, steps and events (snake_case, RFC 3339 times) that the engine's methods
/// return (`run.get`, `run.list`, `run.events`, `run.subscribe` and its `run.event` notifications).
/// Not every method: KernelCore's `Records+JSON.swift` holds a second form of a run and of an event
/// (`WorkflowRun.json`, `RunEvent.json`); the store's console entity view (`SQLStore+Console`) uses it.
public enum EngineJSON {
    public static func run(_ r: WorkflowRun) -> JSON {
        var o = JSONObject()
        o["id"] = .string(r.id)
        o["workflow_id"] = .string(r.workflowID)
        o["workflow_version"] = JSON(r.workflowVersion)
        o["status"] = .string(r.status.rawValue)
        o["inputs"] = r.inputs
        o["outputs"] = r.outputs
        o["error"] = JSON(r.error)
        o["pinned"] = r.pinned
        o["created_at"] = r.createdAt.json
        o["started_at"] = r.startedAt?.json ?? .null
        o["finished_at"] = r.finishedAt?.json ?? .null
        o["duration_ms"] = r.startedAt.flatMap { s in r.finishedAt.map { .int($0.milliseconds - s.milliseconds) } } ?? .null
        o["owner"] = JSON(r.owner)
        o["trigger"] = r.trigger
        return .object(o)
    }

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

    public static func event(_ e: RunEvent) -> JSON {
        var o = JSONObject()
        o["run_id"] = .string(e.runID)
        o["seq"] = .int(e.seq)
        o["type"] = .string(e.type.rawValue)
        o["step_id"] = JSON(e.stepID)
        o["payload"] = e.payload
        o["at"] = e.at.json
        return .object(o)
    }
}
