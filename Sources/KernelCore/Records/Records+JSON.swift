/// API renderings of the records (snake_case field names, RFC 3339 times): the ONE JSON form
/// of each record, used by every method and both transports (a run by `run.get`, `run.list`,
/// `entity.get`; an event by `run.events`, `run.subscribe`, SSE and `events.subscribe`).
/// Connection secrets are never rendered: only whether one is set.
extension Component {
    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["type"] = .string(type.rawValue)
        o["description"] = .string(description)
        o["tags"] = JSON(tags)
        o["owner"] = .string(owner)
        o["latest_version"] = .int(Int64(latestVersion))
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}

extension ComponentVersion {
    public var json: JSON {
        var o = JSONObject()
        o["component_id"] = .string(componentID)
        o["version"] = .int(Int64(version))
        o["type"] = .string(type.rawValue)
        o["config"] = config
        o["checksum"] = .string(checksum)
        o["created_at"] = createdAt.json
        return .object(o)
    }
}

extension Workflow {
    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["description"] = .string(description)
        o["latest_version"] = .int(Int64(latestVersion))
        o["definition"] = definition
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}

extension WorkflowVersion {
    public var json: JSON {
        var o = JSONObject()
        o["workflow_id"] = .string(workflowID)
        o["version"] = .int(Int64(version))
        o["definition"] = definition
        o["checksum"] = .string(checksum)
        o["created_at"] = createdAt.json
        return .object(o)
    }
}

extension WorkflowRun {
    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["workflow_id"] = .string(workflowID)
        o["workflow_version"] = .int(Int64(workflowVersion))
        o["status"] = .string(status.rawValue)
        o["inputs"] = inputs
        o["outputs"] = outputs
        o["error"] = JSON(error)
        o["pinned"] = pinned
        o["created_at"] = createdAt.json
        o["started_at"] = startedAt?.json ?? .null
        o["finished_at"] = finishedAt?.json ?? .null
        o["duration_ms"] = startedAt.flatMap { s in finishedAt.map { .int($0.milliseconds - s.milliseconds) } } ?? .null
        o["owner"] = JSON(owner)
        o["trigger"] = trigger
        return .object(o)
    }
}

extension StepRun {
    public var json: JSON {
        var o = JSONObject()
        o["run_id"] = .string(runID)
        o["step_id"] = .string(stepID)
        o["attempt"] = .int(Int64(attempt))
        o["status"] = .string(status.rawValue)
        o["component_id"] = .string(componentID)
        o["component_version"] = .int(Int64(componentVersion))
        o["result"] = result
        o["error"] = JSON(error)
        o["started_at"] = startedAt?.json ?? .null
        o["finished_at"] = finishedAt?.json ?? .null
        return .object(o)
    }
}

extension RunEvent {
    public var json: JSON {
        var o = JSONObject()
        o["run_id"] = .string(runID)
        o["seq"] = .int(seq)
        o["type"] = .string(type.rawValue)
        o["step_id"] = JSON(stepID)
        o["payload"] = payload
        o["at"] = at.json
        return .object(o)
    }
}

extension ActionLog {
    /// The one audit-entry builder (a fresh id, now). Actions are named `<entity>.<verb>` like the
    /// method that caused them (`workflow.delete`, `connection.create`, `run.cancel`), never a bare verb.
    public static func entry(actor: String, action: String, entityType: String, entityID: String,
                             details: JSON = [:], at: Timestamp = .now()) -> ActionLog {
        ActionLog(id: Identifier.uuid(), at: at, actor: actor, actionType: action, entityType: entityType,
                  entityID: entityID, details: details)
    }

    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["at"] = at.json
        o["actor"] = .string(actor)
        o["action_type"] = .string(actionType)
        o["entity_type"] = .string(entityType)
        o["entity_id"] = .string(entityID)
        o["details"] = details
        return .object(o)
    }
}

extension Connection {
    public var json: JSON {
        var o = JSONObject()
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["plugin"] = .string(plugin)
        o["config"] = config
        o["read_only"] = .bool(readOnly)
        o["secret"] = hasSecret ? "set" : .null
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}
