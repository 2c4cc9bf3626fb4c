import KernelCore
import KernelLoop

/// The JSON Schema of every control method's reply, by method name: what `rpc.discover` lists,
/// what OpenAPI publishes as each operation's response body, and what `MethodReplyContractTests`
/// checks every method's real reply against (over the socket and over HTTP). Each schema names
/// every field the reply carries, with its type: `required` lists the fields always present and
/// objects are closed (`additionalProperties: false`), so a field added to a reply without its
/// schema fails the contract test. An object stays open only where the reply embeds data the
/// kernel does not shape (run inputs and results, component configs, plugin-declared schemas),
/// and then its `description` starts with "Open:" and says whose data it is.
enum MethodReplies {
    // MARK: building blocks

    static let string: JSON = ["type": "string"]
    static let optionalString: JSON = ["type": ["string", "null"]]
    static let integer: JSON = ["type": "integer"]
    static let optionalInteger: JSON = ["type": ["integer", "null"]]
    static let number: JSON = ["type": "number"]
    static let optionalNumber: JSON = ["type": ["number", "null"]]
    static let boolean: JSON = ["type": "boolean"]
    static let strings: JSON = ["type": "array", "items": ["type": "string"]]
    static let time: JSON = ["type": "string", "description": "RFC 3339"]
    static let optionalTime: JSON = ["type": ["string", "null"], "description": "RFC 3339"]
    /// Any JSON value, with whose it is.
    static func any(_ description: String) -> JSON { ["description": .string(description)] }
    /// An object whose fields are not the kernel's (user or plugin data): open, and says so.
    static func open(_ whose: String) -> JSON { ["type": "object", "description": .string("Open: " + whose)] }
    /// An object keyed by names the data chooses (component ids, type names), each value `value`.
    static func map(_ value: JSON, keyedBy: String) -> JSON {
        ["type": "object", "additionalProperties": value, "description": .string("Keyed by " + keyedBy)]
    }
    static func array(_ item: JSON) -> JSON { ["type": "array", "items": item] }
    /// `schema`, or null.
    static func nullable(_ schema: JSON) -> JSON {
        guard case .object(var o) = schema else { return schema }
        if let t = o["type"]?.stringValue { o["type"] = [.string(t), "null"] } else if o["anyOf"] != nil {
            o["anyOf"] = .array((o["anyOf"]?.arrayValue ?? []) + [["type": "null"]])
        }
        return .object(o)
    }
    static func anyOf(_ schemas: JSON...) -> JSON { ["anyOf": .array(schemas)] }

    /// A closed object: `fields` always present, `optional` present in some replies, no others.
    static func object(_ fields: KeyValuePairs<String, JSON>, optional: KeyValuePairs<String, JSON> = [:],
                       description: String? = nil) -> JSON {
        var props = JSONObject()
        for (k, v) in fields { props[k] = v }
        for (k, v) in optional { props[k] = v }
        var o = JSONObject([("type", "object"), ("required", .array(fields.map { .string($0.key) })), ("properties", .object(props)),
                            ("additionalProperties", false)])
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    /// `schema` plus these fields (`fields` always present, `optional` sometimes).
    static func adding(_ schema: JSON, _ fields: KeyValuePairs<String, JSON>, optional: KeyValuePairs<String, JSON> = [:]) -> JSON {
        guard case .object(var o) = schema, var props = o["properties"]?.objectValue else { return schema }
        var required = o["required"]?.arrayValue ?? []
        for (k, v) in fields { props[k] = v; required.append(.string(k)) }
        for (k, v) in optional { props[k] = v }
        o["properties"] = .object(props)
        o["required"] = .array(required)
        return .object(o)
    }

    /// The one list shape: `{items, next_cursor}` (`next_cursor` null on the last page).
    static func list(_ item: JSON, extra: KeyValuePairs<String, JSON> = [:], optional: KeyValuePairs<String, JSON> = [:]) -> JSON {
        adding(object(["items": array(item), "next_cursor": optionalString]), extra, optional: optional)
    }

    static let deleted = object(["id": string, "deleted": boolean])
    static let unsubscribed = object(["unsubscribed": boolean])
    /// `{kind, message, errors?}` (`KernelError.json`).
    static let error = object(["kind": string, "message": string], optional: ["errors": array(fieldError)])
    static let fieldError = object(["path": string, "message": string])

    // MARK: records (one JSON form each: Records+JSON)

    static let run = object([
        "id": string, "workflow_id": string, "workflow_version": integer,
        "status": ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })],
        "inputs": open("the run's inputs, as the caller gave them"), "outputs": any("The run's outputs (null until it succeeds): what its steps produced"),
        "error": optionalString, "pinned": any("The exact component version each step runs, by step id"),
        "created_at": time, "started_at": optionalTime, "finished_at": optionalTime,
        "duration_ms": optionalInteger, "owner": optionalString,
        "trigger": any("What started the run (null: a direct call; else {kind, …}: schedule, webhook, rerun, parent run)"),
    ], description: "A run (WorkflowRun.json)")
    static let event = object(["run_id": string, "seq": integer, "type": string, "step_id": optionalString,
                               "payload": any("The event's payload, by event type (DESIGN.md §4)"), "at": time],
                              description: "A run event (RunEvent.json)")
    /// One stored step attempt (StepRun.json).
    static let stepRow = object(["run_id": string, "step_id": string, "attempt": integer, "status": string, "component_id": string,
                                 "component_version": integer, "result": any("What the step returned (user data) or a blob reference"),
                                 "error": optionalString, "started_at": optionalTime, "finished_at": optionalTime])
    static let attempt = object(["attempt": integer, "status": string, "error": optionalString, "started_at": optionalTime,
                                 "finished_at": optionalTime, "duration_ms": optionalInteger])
    /// A step with its attempts (EngineJSON.step).
    static let stepBase = object(["id": string, "status": string, "attempt": integer, "component_id": string, "component_version": integer,
                                  "result": any("What the step returned (user data) or a blob reference"), "error": optionalString,
                                  "started_at": optionalTime, "finished_at": optionalTime, "attempts": array(attempt), "errors": strings])
    static let step = adding(stepBase, [:], optional: [
        "reused": boolean, "reused_from": optionalString, "items": array(stepBase),
        "progress": object(["items": integer, "settled": integer, "in_flight": integer]),
    ])
    static let wait = object(["step": string, "attempt": integer, "kind": string, "due_at": optionalTime, "signal": optionalString,
                              "child_run_id": optionalString, "inputs": any("The waiting step's inputs"), "created_at": time,
                              "resolved_at": optionalTime, "outcome": string, "payload": any("What resolved the wait (a signal's payload, a child's outputs)")])
    static let runSnapshot = adding(run, ["steps": array(step), "waits": array(wait)])
    static let componentConfig = open("the component's config, as its type's schema (component.schema) describes it")
    static let component = object(["id": string, "name": string, "type": string, "description": string, "tags": strings, "owner": string,
                                   "latest_version": integer, "created_at": time, "updated_at": time])
    static let componentWithConfig = adding(component, ["version": integer, "config": componentConfig, "checksum": string])
    static let componentVersion = object(["component_id": string, "version": integer, "type": string, "config": componentConfig,
                                          "checksum": string, "created_at": time])
    static let definition = open("the workflow definition as stored (steps, inputs, …: the workflow.create params describe it)")
    static let workflow = object(["id": string, "name": string, "description": string, "latest_version": integer,
                                  "definition": definition, "created_at": time, "updated_at": time])
    static let workflowWithVersion = adding(workflow, ["version": integer, "checksum": string])
    static let workflowVersion = object(["workflow_id": string, "version": integer, "definition": definition, "checksum": string, "created_at": time])
    static let connection = object(["id": string, "name": string, "plugin": string,
                                    "config": open("the connector's own config (its plugin's config_schema)"), "read_only": boolean,
                                    "secret": ["type": ["string", "null"], "description": "\"set\" when a secret is stored (never its value)"],
                                    "created_at": time, "updated_at": time])
    static let auditEntry = object(["id": string, "at": time, "actor": string, "action_type": string, "entity_type": string,
                                    "entity_id": string, "details": any("What the action changed, as each action records it")])
    static let plugin = object([
        "name": string, "version": optionalString, "description": optionalString, "kinds": strings, "abi": optionalString,
        "path": string, "isolation": string, "state": string,
        "load_error": nullable(object(["reason": string, "message": string])), "crashes": integer, "last_crash": optionalString,
        "open_connections": integer,
        "ops": array(object(["name": string, "signature": string, "description": optionalString])),
        "component_types": strings,
        "config_schema": nullable(open("the JSON Schema the plugin declares for its connections' config")),
    ], optional: [
        "adbc": object(["entrypoint": string, "connection": object(["plugin": string, "config": object(["driver": string])])]),
    ], description: "A plugin (PluginInfo.json)")
    static let artifact = object(["name": string, "size": integer, "mime": string, "path": string])
    static let schedule = object(["id": string, "name": string, "workflow_id": string, "workflow_version": optionalInteger,
                                  "version_policy": ["type": "string", "enum": ["latest", "pinned"]], "cron": string, "timezone": string,
                                  "inputs": open("the inputs each run of the schedule gets"), "catchup": string, "overlap": string,
                                  "state": string, "created_at": time, "updated_at": time, "next_fire_at": optionalTime])
    static let tick = object(["tick": time, "run_id": optionalString, "outcome": string, "owner": string, "error": optionalString])
    static let webhook = object(["id": string, "name": string, "url": string, "workflow_id": string, "workflow_version": optionalInteger,
                                 "mapping": any("How a delivery's body maps to run inputs (null: the body is the inputs)"),
                                 "secret": ["type": ["string", "null"], "description": "\"set\" when a signing secret is stored (never its value)"],
                                 "rate_limit_per_minute": integer, "created_at": time, "updated_at": time])
    static let workspaceValue = object(["name": string, "value": ["type": "string", "description": "A secret's is always \"set\""],
                                        "created_at": time, "updated_at": time])
    static let workspaceValueSet = object(["name": string, "created": boolean,
                                           "value": ["type": "string", "description": "A secret's is always \"set\""]])
    static let runtime = object(["name": string, "state": string, "present": boolean, "stale": boolean, "path": string, "managed": boolean,
                                 "versions": map(string, keyedBy: "package or tool name"), "size_bytes": integer,
                                 "pins": nullable(object(["file": optionalString, "sha256": optionalString, "installed_sha256": optionalString])),
                                 "last_error": optionalString])
    static let runtimeExtras: KeyValuePairs<String, JSON> = ["auto_install": boolean, "pip_cache": string, "runtimes_dir": string]
    static let runtimeStatus = list(runtime, extra: runtimeExtras)
    static let retentionPolicy = object(["runs_ms": optionalInteger, "events_ms": optionalInteger, "artifacts_ms": optionalInteger,
                                         "blob_grace_ms": integer])
    static let sweep = object(["dry_run": boolean, "policy": retentionPolicy, "runs": object(["count": integer, "ids": strings]),
                               "step_rows": integer, "events": object(["count": integer, "runs_trimmed": integer]), "directories": integer,
                               "blobs": object(["count": integer, "bytes": integer, "digests": strings]), "duration_ms": integer],
                              description: "A retention sweep's summary (RetentionSweeper.sweep)")

    // MARK: status sections (kernel.status and dashboard.health; each service adds its own)

    static let pluginsSection = object(["loaded": integer, "failed": integer, "crashed": integer])
    static let sandboxSection = object([
        "mode": string, "ready": boolean, "status": ["type": "string", "enum": ["green", "yellow", "red"]], "namespaces": boolean,
        "seccomp": boolean, "cgroups": ["type": ["string", "boolean"], "description": "The cgroup root in use, or false"],
        "rlimits": boolean, "no_new_privs": boolean, "network_isolation": boolean, "bwrap_version": optionalString, "problems": strings,
    ], description: "SandboxReport.json")
    static let runnersSection = object([
        "enabled": boolean, "available": boolean, "max_steps": integer, "idle_seconds": integer, "max_per_pool": integer,
        "max_total": integer, "runners": integer, "runners_started": integer, "warm_attempts": integer,
        "cold_fallbacks": map(integer, keyedBy: "reason"), "retired": map(integer, keyedBy: "retire reason"),
        "pools": array(object(["key": string, "size": integer, "warm": integer, "busy": integer, "starting": integer, "attempts": integer],
                              optional: ["component_id": string, "component_version": integer])),
    ], description: "The warm runner pools (RunnerPool.report)")
    static let runtimesSection = object(["auto_install": boolean, "items": array(object(["name": string, "state": string]))])
    static let redisSection = object(["configured": boolean, "connected": boolean, "fallback_active": boolean], optional: [
        "endpoint": string, "state": string, "reconnects": integer, "losses": integer, "last_error": optionalString,
        "last_error_at": optionalTime, "channels": integer, "published": integer, "received": integer,
        "events": nullable(object(["followed_runs": integer, "events_delivered": integer, "gap_reads": integer])),
    ], description: "Only configured, connected and fallback_active when no Redis is configured")
    static let retentionSection = object(["policy": retentionPolicy, "keeps_everything": boolean, "last_sweep": nullable(sweep)])
    static let engineSection = object([
        "owner": string, "max_concurrent_steps": integer, "lease_ms": integer, "lease_lapsed": boolean, "takeovers": integer,
        "active_runs": integer, "queued_runs": integer, "running_steps": integer, "subscribers": integer,
        "cache": object(["backend": optionalString, "hits": integer, "misses": integer, "saves": integer, "errors": integer]),
        "executors": map(string, keyedBy: "component type (value: the executor plugin)"),
        "timings_ms": object(["dispatch": number, "execution": number, "transition": number, "attempts": integer]),
    ])
    static let schedulerSection = object(["phase": string, "owner": string, "fired": integer, "last_pass_at": optionalTime])
    static let clusterSection = object([
        "listener": nullable(object(["state": string, "channels": strings, "reconnects": integer, "notifications": integer,
                                     "last_error": optionalString])),
        "claimed_runs": integer,
    ], description: "PostgreSQL only: the LISTEN connection and the runs this kernel claimed")
    static let httpSection = object(["address": string, "port": integer, "connections": integer, "auth": boolean,
                                     "console": object(["installed": boolean, "dir": optionalString, "source": string])])
    /// The sections services add (`Kernel.addStatus`); each is null once its service stopped.
    static let serviceSections: KeyValuePairs<String, JSON> = [
        "sandbox": nullable(sandboxSection), "runners": nullable(runnersSection), "redis": nullable(redisSection),
        "retention": nullable(retentionSection), "engine": nullable(engineSection), "scheduler": nullable(schedulerSection),
        "cluster": nullable(clusterSection), "http": nullable(httpSection),
    ]

    // MARK: every method

    static let byMethod: [String: JSON] = [
        "kernel.status": adding(adding(object([
            "version": string, "pid": integer, "instance_id": string, "phase": string, "started_at": time, "uptime_seconds": number,
            "startup_ms": number, "store": object(["kind": string, "url": string]), "home": string, "plugin_dirs": strings,
            "socket": string,
            "http": anyOf(optionalString, httpSection),
            "connections": object(["socket": integer]), "rss_bytes": integer,
        ]), [:], optional: serviceSections), [:], optional: ["plugins": nullable(pluginsSection), "runtimes": nullable(runtimesSection)]),
        "kernel.shutdown": object(["stopping": boolean]),
        "kernel.ping": object(["pong": boolean, "echo": any("The request's echo, as given")]),
        "kernel.gc": sweep,
        "rpc.discover": object(["jsonrpc": string, "version": string, "methods": array(object([
            "name": string, "summary": string, "params": open("the method's params JSON Schema"),
            "reply": nullable(open("the method's reply JSON Schema (these schemas)")),
        ]))]),
        "cluster.status": object(["shared_queue": boolean, "store": string, "lease_ms": integer, "kernels": array(object([
            "id": string, "host": string, "version": string, "started_at": time, "last_heartbeat": time, "running_steps": integer,
            "capacity": integer, "active_runs": integer, "state": string, "alive": boolean, "self": boolean,
        ]))]),
        "dashboard.summary": object([
            "active_runs": integer, "queued_runs": integer, "completed_today": integer, "failed_today": integer,
            "total_components": integer, "total_workflows": integer, "total_runs": integer, "total_connections": integer,
            "success_rate_7d": ["type": ["number", "null"], "description": "Succeeded / finished over 7 days; null when none finished"],
            "recent_activity": array(auditEntry),
        ]),
        "dashboard.health": adding(adding(object([
            "status": ["type": "string", "enum": ["ok", "degraded"]], "version": string, "instance_id": string, "started_at": time,
            "uptime_seconds": number,
            "store": object(["kind": string, "ok": boolean], optional: [
                "latency_ms": number, "error": string,
                "pool": object(["size": integer, "open": integer, "reconnects": integer, "connect_failures": integer]),
            ]),
            "load": nullable(object(["1m": number, "5m": number, "15m": number])), "cpus": integer,
            "plugins": pluginsSection, "sandbox": nullable(sandboxSection),
        ]), [:], optional: serviceSections), [:], optional: ["runtimes": anyOf(runtimeStatus, object(["error": string]))]),
        "dashboard.insights": object([
            "window_days": integer,
            "recommended_components": array(object(["id": string, "name": string, "type": string, "latest_version": integer,
                                                    "updated_at": time, "uses": integer, "workflows": integer,
                                                    "reason": ["type": "string", "enum": ["most used", "recently updated"]]])),
            "trending_workflows": array(object(["id": string, "name": string, "runs": integer, "succeeded": integer, "finished": integer,
                                                "success_rate": optionalNumber, "daily": array(integer)])),
            "names": map(string, keyedBy: "entity id (value: its name)"),
        ]),
        "entity.get": object(["type": string, "id": string, "name": string, "created_at": time, "updated_at": time,
                              "details": anyOf(component, componentVersion, workflow, adding(run, ["steps": array(stepRow)]), stepRow,
                                               connection, auditEntry)]),
        "audit.list": list(auditEntry),

        "component.create": componentWithConfig,
        "component.get": componentWithConfig,
        "component.update": adding(componentWithConfig, ["version_created": boolean]),
        "component.list": list(component),
        "component.delete": deleted,
        "component.versions": list(componentVersion, extra: ["component_id": string]),
        "component.schema": anyOf(
            object(["types": map(open("a component type's config JSON Schema (2020-12)"), keyedBy: "component type name"),
                    "oneOf": array(open("a component type's config JSON Schema (2020-12)"))],
                   description: "Every type's schema (no `type` param)"),
            ["type": "object", "required": ["$schema", "type", "properties"],
             "description": "Open: one type's config JSON Schema (2020-12), as the type (built in or plugin-declared) states it"]),
        "component.types": list(object(["name": string, "description": optionalString, "plugin": optionalString, "runnable": boolean,
                                        "declared": boolean, "execution": optionalString, "secret_fields": strings])),

        "workflow.create": workflowWithVersion,
        "workflow.get": workflowWithVersion,
        "workflow.update": adding(workflowWithVersion, ["version_created": boolean]),
        "workflow.list": list(workflow),
        "workflow.delete": deleted,
        "workflow.versions": list(workflowVersion, extra: ["workflow_id": string]),
        "workflow.validate": object(["valid": boolean, "errors": array(fieldError)], optional: [
            "layers": array(strings),
            "steps": array(object(["id": string, "component_id": optionalString, "component_version": optionalInteger, "type": optionalString])),
        ]),
        "workflow.run": object(["run_id": string, "status": string, "workflow_id": string, "workflow_version": integer],
                               optional: ["replayed": boolean, "warnings": strings]),

        "run.get": runSnapshot,
        "run.list": list(adding(run, ["workflow_name": optionalString])),
        "run.cancel": object(["id": string, "status": string]),
        "run.rerun": object(["run_id": string, "status": string, "rerun_of": string, "workflow_id": string, "workflow_version": integer,
                             "reused": strings]),
        "run.retry": object(["id": string, "status": string, "step": string]),
        "run.signal": object(["id": string, "step": string, "signal": string, "status": string]),
        "run.pin": object(["id": string, "pinned": boolean]),
        "run.events": list(event, extra: ["last_seq": integer]),
        "run.subscribe": object(["subscription": string, "run": runSnapshot, "events": array(event), "complete": boolean]),
        "run.unsubscribe": unsubscribed,
        "events.subscribe": object(["subscription": string, "events": array(event)]),
        "events.unsubscribe": unsubscribed,
        "run.artifacts": list(artifact),
        "run.artifact": object(["name": string, "mime": string, "size": integer, "encoding": ["type": "string", "enum": ["utf-8", "base64"]],
                                "content": string]),
        "run.result": object(["run_id": string, "step": optionalString, "by_reference": boolean, "content_type": string], optional: [
            "value": any("The step's result or the run's outputs (user data)"), "size": integer,
            "blob": object(["digest": string, "size": integer]), "offset": integer, "length": integer,
            "encoding": ["type": "string", "enum": ["base64"]], "data": string, "next_offset": optionalInteger,
        ]),

        "connection.create": connection,
        "connection.get": connection,
        "connection.update": connection,
        "connection.list": list(connection),
        "connection.delete": deleted,
        "connection.test": object(["ok": boolean, "plugin": string, "latency_ms": integer],
                                  optional: ["server_version": optionalString, "error": error]),
        "connection.scan": object(["schemas": array(open("a schema with its tables, as the connector plugin reports it"))]),
        "connection.query": object(["columns": array(object(["name": string, "type": string], optional: ["db_type": string])),
                                    "rows": array(["type": "array"]), "truncated": boolean, "row_count": integer, "elapsed_ms": integer],
                                   optional: ["rows_affected": integer]),
        "connection.cancel": object(["cancelled": boolean]),

        "plugin.list": list(plugin),
        "plugin.load": plugin,
        "plugin.reload": plugin,
        "plugin.unload": object(["unloaded": boolean, "name": string]),
        "plugin.call": object(["result": any("What the op returned")]),

        "secret.set": workspaceValueSet,
        "secret.list": list(workspaceValue),
        "secret.delete": object(["name": string, "deleted": boolean]),
        "var.set": workspaceValueSet,
        "var.list": list(workspaceValue),
        "var.delete": object(["name": string, "deleted": boolean]),

        "runtime.status": runtimeStatus,
        "runtime.install": list(runtime, optional: runtimeExtras),
        "runtime.gc": object(["dry_run": boolean,
                              "removed": array(object(["path": string, "kind": string, "reason": string, "size_bytes": integer])),
                              "kept": strings, "freed_bytes": integer]),

        "webhook.create": webhook,
        "webhook.get": webhook,
        "webhook.update": webhook,
        "webhook.list": list(webhook),
        "webhook.delete": deleted,

        "schedule.create": schedule,
        "schedule.get": adding(schedule, ["recent_ticks": array(tick)]),
        "schedule.update": schedule,
        "schedule.pause": schedule,
        "schedule.resume": schedule,
        "schedule.list": list(schedule),
        "schedule.delete": deleted,
        "schedule.ticks": list(tick, extra: ["schedule_id": string]),

        "mcp.message": object(["response": any("The MCP JSON-RPC response (null for a notification)")]),
        "assistant.chat": object(["chat_id": string, "state": string,
                                  "llm": object(["id": string, "name": string, "model": any("The LLM component's model")]),
                                  "stream": string]),
        "assistant.subscribe": object(["subscription": string, "chat_id": string, "state": string,
                                       "events": array(open("an assistant event (token, result, error, end)"))]),
        "assistant.unsubscribe": unsubscribed,
    ]
}
