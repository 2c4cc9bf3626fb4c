import KernelCore
import KernelLoop

/// The JSON Schema of every control method's reply, by method name: what `rpc.discover` lists,
/// what OpenAPI publishes as each operation's response body, and what `MethodReplyContractTests`
/// checks every method's real reply against (over the socket and over HTTP). Each schema names
/// the fields a reply always has, with their types; replies may carry more (extra fields are
/// not a contract break), never fewer.
enum MethodReplies {
    // MARK: building blocks

    static let string: JSON = ["type": "string"]
    static let optionalString: JSON = ["type": ["string", "null"]]
    static let integer: JSON = ["type": "integer"]
    static let optionalInteger: JSON = ["type": ["integer", "null"]]
    static let number: JSON = ["type": "number"]
    static let boolean: JSON = ["type": "boolean"]
    static let object: JSON = ["type": "object"]
    static let array: JSON = ["type": "array"]
    static let time: JSON = ["type": "string", "description": "RFC 3339"]
    static let optionalTime: JSON = ["type": ["string", "null"], "description": "RFC 3339"]
    /// Any JSON value.
    static let any: JSON = [:]

    /// An object with these fields, all present.
    static func object(_ fields: KeyValuePairs<String, JSON>, description: String? = nil) -> JSON {
        var props = JSONObject()
        for (k, v) in fields { props[k] = v }
        var o = JSONObject([("type", "object"), ("required", .array(fields.map { .string($0.key) })), ("properties", .object(props))])
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    /// `schema` plus these fields.
    static func adding(_ schema: JSON, _ fields: KeyValuePairs<String, JSON>) -> JSON {
        guard case .object(var o) = schema, var props = o["properties"]?.objectValue else { return schema }
        var required = o["required"]?.arrayValue ?? []
        for (k, v) in fields { props[k] = v; required.append(.string(k)) }
        o["properties"] = .object(props)
        o["required"] = .array(required)
        return .object(o)
    }

    /// The one list shape: `{items, next_cursor}` (`next_cursor` null on the last page).
    static func list(_ item: JSON, extra: KeyValuePairs<String, JSON> = [:]) -> JSON {
        var fields: [(String, JSON)] = [("items", ["type": "array", "items": item]), ("next_cursor", optionalString)]
        for (k, v) in extra { fields.append((k, v)) }
        var props = JSONObject()
        for (k, v) in fields { props[k] = v }
        return .object(JSONObject([("type", "object"), ("required", .array(fields.map { .string($0.0) })),
                                   ("properties", .object(props))]))
    }

    static let deleted = object(["id": string, "deleted": boolean])
    static let unsubscribed = object(["unsubscribed": boolean])

    // MARK: records (one JSON form each: Records+JSON)

    static let run = object([
        "id": string, "workflow_id": string, "workflow_version": integer, "status": string, "inputs": any, "outputs": any,
        "error": optionalString, "pinned": any, "created_at": time, "started_at": optionalTime, "finished_at": optionalTime,
        "duration_ms": optionalInteger, "owner": optionalString, "trigger": any,
    ], description: "A run (WorkflowRun.json)")
    static let event = object(["run_id": string, "seq": integer, "type": string, "step_id": optionalString, "payload": any, "at": time],
                              description: "A run event (RunEvent.json)")
    static let step = object(["id": string, "status": string, "attempt": integer, "component_id": string, "component_version": integer,
                              "result": any, "error": optionalString, "started_at": optionalTime, "finished_at": optionalTime,
                              "attempts": array, "errors": array])
    static let runSnapshot = adding(run, ["steps": ["type": "array", "items": step], "waits": array])
    static let component = object(["id": string, "name": string, "type": string, "description": string, "tags": array, "owner": string,
                                   "latest_version": integer, "created_at": time, "updated_at": time])
    static let componentWithConfig = adding(component, ["version": integer, "config": object, "checksum": string])
    static let componentVersion = object(["component_id": string, "version": integer, "type": string, "config": object,
                                          "checksum": string, "created_at": time])
    static let workflow = object(["id": string, "name": string, "description": string, "latest_version": integer,
                                  "definition": any, "created_at": time, "updated_at": time])
    static let workflowVersion = object(["workflow_id": string, "version": integer, "definition": any, "checksum": string, "created_at": time])
    static let connection = object(["id": string, "name": string, "plugin": string, "config": object, "read_only": boolean,
                                    "secret": optionalString, "created_at": time, "updated_at": time])
    static let auditEntry = object(["id": string, "at": time, "actor": string, "action_type": string, "entity_type": string,
                                    "entity_id": string, "details": any])
    static let plugin = object(["name": string, "path": string, "state": string])
    static let artifact = object(["name": string, "size": integer, "mime": string, "path": string])
    static let schedule = object(["id": string, "name": string, "workflow_id": string, "cron": string, "timezone": string,
                                  "state": string, "next_fire_at": optionalTime])
    static let webhook = object(["id": string, "name": string, "workflow_id": string, "url": string])
    static let workspaceValue = object(["name": string])
    static let runtime = object(["name": string, "state": string])

    // MARK: every method

    static let byMethod: [String: JSON] = [
        "kernel.status": object(["version": string, "pid": integer, "instance_id": string, "phase": string, "started_at": time,
                                 "uptime_seconds": number, "store": object, "home": string, "socket": string, "http": any,
                                 "connections": object, "rss_bytes": integer]),
        "kernel.shutdown": object(["stopping": boolean]),
        "kernel.ping": object(["pong": boolean, "echo": any]),
        "kernel.gc": object(["dry_run": boolean, "runs": object]),
        "rpc.discover": object(["jsonrpc": string, "version": string, "methods": ["type": "array", "items": object(["name": string, "summary": string, "params": object, "reply": ["type": ["object", "null"]]])]]),
        "cluster.status": object(["shared_queue": boolean, "store": string, "lease_ms": integer]),
        "dashboard.summary": object(["recent_activity": ["type": "array", "items": auditEntry]]),
        "dashboard.health": object(["version": string]),
        "dashboard.insights": object(["window_days": integer, "recommended_components": array, "trending_workflows": array, "names": object]),
        "entity.get": object(["type": string, "id": string, "name": string, "created_at": time, "updated_at": time, "details": any]),
        "audit.list": list(auditEntry),

        "component.create": componentWithConfig,
        "component.get": componentWithConfig,
        "component.update": componentWithConfig,
        "component.list": list(component),
        "component.delete": deleted,
        "component.versions": list(componentVersion, extra: ["component_id": string]),
        "component.schema": object,
        "component.types": list(object(["name": string, "description": optionalString, "plugin": optionalString, "runnable": boolean,
                                        "declared": boolean, "execution": optionalString, "secret_fields": array])),

        "workflow.create": workflow,
        "workflow.get": workflow,
        "workflow.update": workflow,
        "workflow.list": list(workflow),
        "workflow.delete": deleted,
        "workflow.versions": list(workflowVersion, extra: ["workflow_id": string]),
        "workflow.validate": object(["valid": boolean, "errors": array]),
        "workflow.run": object(["run_id": string, "status": string, "workflow_id": string, "workflow_version": integer]),

        "run.get": runSnapshot,
        "run.list": list(adding(run, ["workflow_name": optionalString])),
        "run.cancel": object(["id": string, "status": string]),
        "run.rerun": object(["run_id": string, "status": string, "rerun_of": string, "workflow_id": string, "workflow_version": integer,
                             "reused": array]),
        "run.retry": object(["id": string, "status": string, "step": string]),
        "run.signal": object(["id": string, "step": string, "signal": string, "status": string]),
        "run.pin": object(["id": string, "pinned": boolean]),
        "run.events": list(event, extra: ["last_seq": integer]),
        "run.subscribe": object(["subscription": string, "run": runSnapshot, "events": ["type": "array", "items": event], "complete": boolean]),
        "run.unsubscribe": unsubscribed,
        "events.subscribe": object(["subscription": string, "events": array]),
        "events.unsubscribe": unsubscribed,
        "run.artifacts": list(artifact),
        "run.artifact": object(["name": string, "mime": string, "size": integer, "encoding": ["type": "string", "enum": ["utf-8", "base64"]],
                                "content": string]),
        "run.result": object(["value": any]),

        "connection.create": connection,
        "connection.get": connection,
        "connection.update": connection,
        "connection.list": list(connection),
        "connection.delete": deleted,
        "connection.test": object(["ok": boolean, "plugin": string]),
        "connection.scan": object(["schemas": array]),
        "connection.query": object(["columns": array, "rows": array, "truncated": boolean, "elapsed_ms": number]),
        "connection.cancel": object(["cancelled": boolean]),

        "plugin.list": list(plugin),
        "plugin.load": plugin,
        "plugin.reload": plugin,
        "plugin.unload": object(["unloaded": boolean, "name": string]),
        "plugin.call": object(["result": any]),

        "secret.set": workspaceValue,
        "secret.list": list(workspaceValue),
        "secret.delete": object(["name": string, "deleted": boolean]),
        "var.set": workspaceValue,
        "var.list": list(workspaceValue),
        "var.delete": object(["name": string, "deleted": boolean]),

        "runtime.status": list(runtime, extra: ["auto_install": boolean]),
        "runtime.install": list(runtime),
        "runtime.gc": object,

        "webhook.create": webhook,
        "webhook.get": webhook,
        "webhook.update": webhook,
        "webhook.list": list(webhook),
        "webhook.delete": deleted,

        "schedule.create": schedule,
        "schedule.get": adding(schedule, ["recent_ticks": array]),
        "schedule.update": schedule,
        "schedule.pause": schedule,
        "schedule.resume": schedule,
        "schedule.list": list(schedule),
        "schedule.delete": deleted,
        "schedule.ticks": list(object, extra: ["schedule_id": string]),

        "mcp.message": object(["response": any]),
        "assistant.chat": object(["chat_id": string, "state": string]),
        "assistant.subscribe": object(["subscription": string, "chat_id": string, "state": string, "events": array]),
        "assistant.unsubscribe": unsubscribed,
    ]
}
