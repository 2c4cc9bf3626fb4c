import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Every control method, driven with a real request against a real kernel, answers what its
/// registered reply schema (`rpc.discover`, OpenAPI) says: over the control socket, and over
/// HTTP for every method that has a route. Reply schemas are closed (an object schema that is
/// not must say "Open:" and why), so a reply field its schema does not name fails too. A method
/// added without a reply schema, or not driven here, fails the test.
@Suite(.serialized) struct MethodReplyContractTests {
    /// Methods not driven here, each with why (the test fails if this list goes stale).
    static let notDriven: [String: String] = [
        "assistant.chat": "needs an LLM endpoint: AssistantLiveTests",
        "assistant.subscribe": "needs a chat: AssistantLiveTests",
        "assistant.unsubscribe": "needs a chat: AssistantLiveTests",
        "runtime.install": "builds a venv for minutes: RuntimeProvisioningLiveTests",
    ]

    final class Checker {
        let schemas: [String: JSONSchema]
        var driven: Set<String> = []
        var problems: [String] = []
        init(_ discover: JSON) throws {
            var s: [String: JSONSchema] = [:]
            for m in discover["methods"]?.arrayValue ?? [] {
                guard let name = m["name"]?.stringValue else { continue }
                guard let reply = m["reply"], !reply.isNull else { problems.append("\(name): no reply schema"); continue }
                problems += Checker.openObjects(reply, path: name + ".reply").map { "\($0): an object schema neither closed nor marked Open" }
                let (schema, errors) = JSONSchema.compile(reply, path: name + ".reply")
                if let schema { s[name] = schema } else { problems.append("\(name): \(errors)") }
            }
            schemas = s
        }
        /// Paths of the object schemas in `schema` that would let an unnamed field through: every
        /// object schema is closed (`additionalProperties` false or a schema) unless its description
        /// starts with "Open:" (data the kernel does not shape). So a reply's extra top-level or nested
        /// field fails `validate` below, and a schema cannot silently stop naming its fields.
        static func openObjects(_ schema: JSON, path: String) -> [String] {
            guard case .object(let o) = schema else { return [] }
            var out: [String] = []
            let types = o["type"]?.stringValue.map { [$0] } ?? o["type"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if types.contains("object"), o["additionalProperties"] == nil,
               o["description"]?.stringValue?.hasPrefix("Open:") != true {
                out.append(path)
            }
            for (k, v) in o["properties"]?.objectValue ?? JSONObject() { out += openObjects(v, path: path + "." + k) }
            if let items = o["items"] { out += openObjects(items, path: path + "[]") }
            if let extra = o["additionalProperties"], extra.objectValue != nil { out += openObjects(extra, path: path + ".*") }
            for key in ["anyOf", "oneOf", "allOf"] {
                for (i, alt) in (o[key]?.arrayValue ?? []).enumerated() { out += openObjects(alt, path: "\(path).\(key)[\(i)]") }
            }
            return out
        }

        func check(_ method: String, _ reply: JSON, via: String) {
            driven.insert(method)
            guard let schema = schemas[method] else { problems.append("\(method): not discovered"); return }
            let errors = schema.validate(reply, path: "reply")
            if !errors.isEmpty { problems.append("\(method) (\(via)): \(errors.map(\.description)) in \(reply.serialized().prefix(400))") }
        }
    }

    @Test func everyMethodsRealReplyMatchesItsSchemaOverSocketAndHTTP() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        var stopped = false
        defer { if !stopped { k.stop() } }
        let client = try k.client()
        let c = try Checker(try client.call("rpc.discover"))
        @discardableResult
        func call(_ method: String, _ params: JSON = [:]) throws -> JSON {
            let r = try client.call(method, params)
            c.check(method, r, via: "socket")
            return r
        }
        func http(_ method: String, _ verb: String, _ path: String, _ body: JSON? = nil) throws {
            let r = try HTTPTestClient.request(port: port, verb, path, body: body?.serialized())
            guard (200..<300).contains(r.status) else { c.problems.append("\(method) (http \(verb) \(path)): \(r.status) \(r.text.prefix(300))"); return }
            c.check(method, r.json, via: "http")
        }
        func waitRun(_ id: String, until: (JSON) -> Bool) throws -> JSON {
            for _ in 0..<1200 {
                let r = try client.call("run.get", ["id": .string(id)])
                if until(r) { return r }
                usleep(50_000)
            }
            throw KernelError.unavailable("run \(id) did not get there: \(try client.call("run.get", ["id": .string(id)]))")
        }
        let terminal: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]

        // Kernel, dashboard, catalog reads.
        for m in ["kernel.status", "rpc.discover", "cluster.status", "dashboard.summary", "dashboard.health", "dashboard.insights",
                  "component.schema", "component.types", "plugin.list", "runtime.status", "secret.list", "var.list", "connection.list",
                  "webhook.list", "schedule.list", "audit.list", "component.list", "workflow.list", "run.list", "runtime.gc"] {
            try call(m)
        }
        try call("kernel.ping", ["echo": ["x": 1]])
        try call("kernel.gc", ["dry_run": true])

        // Components and workflows.
        let producer = try call("component.create", ["name": "producer", "config": ["type": "Python Script",
            "codeContent": "def main():\n    return [{'a': 1, 'b': 'x'}]\n"]])
        let cid = try #require(producer["id"]?.stringValue)
        try call("component.create", ["name": "writer", "config": ["type": "Output", "format": "csv", "name": "rows"]])
        try call("component.create", ["name": "boom", "config": ["type": "Python Script", "codeContent": "def main():\n    raise ValueError('no')\n"]])
        try call("component.get", ["id": .string(cid)])
        try call("component.update", ["id": .string(cid), "description": "makes rows"])
        try call("component.versions", ["id": .string(cid)])
        let wf = try call("workflow.create", ["name": "rows", "steps": [["id": "p", "component": "producer"],
            ["id": "w", "component": "writer", "needs": ["p"], "inputs": ["data": "${steps.p.result}"]]]])
        let wid = try #require(wf["id"]?.stringValue)
        try call("workflow.get", ["id": .string(wid)])
        try call("workflow.update", ["id": .string(wid), "description": "rows to csv"])
        try call("workflow.versions", ["id": .string(wid)])
        try call("workflow.validate", ["id": .string(wid)])
        try call("workflow.create", ["name": "fails", "steps": [["id": "b", "component": "boom"]]])
        try call("workflow.create", ["name": "approve", "steps": [["id": "gate", "wait": ["signal": "go", "timeoutSeconds": 300]]]])

        // Runs.
        let started = try call("workflow.run", ["id": .string(wid)])
        let rid = try #require(started["run_id"]?.stringValue)
        _ = try waitRun(rid) { terminal.contains($0["status"]?.stringValue ?? "") }
        try call("run.get", ["id": .string(rid)])
        try call("run.events", ["id": .string(rid)])
        try call("run.artifacts", ["id": .string(rid)])
        try call("run.artifact", ["id": .string(rid), "name": "rows.csv"])
        try call("run.result", ["id": .string(rid), "step": "p"])
        try call("run.pin", ["id": .string(rid), "pinned": true])
        let sub = try call("run.subscribe", ["id": .string(rid)])
        try call("run.unsubscribe", ["subscription": sub["subscription"] ?? ""])
        let feed = try call("events.subscribe")
        try call("events.unsubscribe", ["subscription": feed["subscription"] ?? ""])
        let rerun = try call("run.rerun", ["id": .string(rid)])
        let second = try #require(rerun["run_id"]?.stringValue)
        _ = try waitRun(second) { terminal.contains($0["status"]?.stringValue ?? "") }
        let failing = try #require(try call("workflow.run", ["id": "fails"])["run_id"]?.stringValue)
        _ = try waitRun(failing) { $0["status"] == "failed" }
        try call("run.retry", ["id": .string(failing), "step": "b"])
        let gated = try #require(try call("workflow.run", ["id": "approve"])["run_id"]?.stringValue)
        _ = try waitRun(gated) { run in run["steps"]?.arrayValue?.contains { $0["status"] == "waiting" } == true }
        try call("run.signal", ["id": .string(gated), "name": "go", "payload": ["ok": true]])
        let cancelled = try #require(try call("workflow.run", ["id": "approve"])["run_id"]?.stringValue)
        try call("run.cancel", ["id": .string(cancelled)])

        // Connections (the bundled SQLite connector).
        let conn = try call("connection.create", ["name": "lite", "plugin": "sqlite", "config": ["path": .string(k.home + "/c.db"), "create": true]])
        let connID = try #require(conn["id"]?.stringValue)
        try call("connection.get", ["id": .string(connID)])
        try call("connection.update", ["id": .string(connID), "read_only": false])
        try call("connection.test", ["id": .string(connID)])
        try call("connection.query", ["id": .string(connID), "sql": "CREATE TABLE t (a INTEGER)"])
        try call("connection.scan", ["id": .string(connID)])
        try call("connection.cancel", ["request_id": "none-running"])

        // Workspace values, triggers, MCP, plugins.
        try call("secret.set", ["name": "TOKEN_A", "value": "s3cret"])
        try call("var.set", ["name": "REGION", "value": "eu"])
        let hook = try call("webhook.create", ["name": "hook", "workflow": .string(wid)])
        let hid = try #require(hook["id"]?.stringValue)
        try call("webhook.get", ["id": .string(hid)])
        try call("webhook.update", ["id": .string(hid), "rate_limit_per_minute": 5])
        let schedule = try call("schedule.create", ["name": "nightly", "workflow": .string(wid), "cron": "0 3 * * *"])
        let sid = try #require(schedule["id"]?.stringValue)
        try call("schedule.get", ["id": .string(sid)])
        try call("schedule.update", ["id": .string(sid), "timezone": "Europe/Oslo"])
        try call("schedule.pause", ["id": .string(sid)])
        try call("schedule.resume", ["id": .string(sid)])
        try call("schedule.ticks", ["id": .string(sid)])
        try call("mcp.message", ["session": "contract", "message": ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "t", "version": "1"]]]])
        try call("entity.get", ["type": "workflow", "id": .string(wid)])
        // The API's id syntaxes, parsed by the server (not the store): a run with its steps, a step's
        // latest attempt, a component version.
        #expect(try call("entity.get", ["type": "workflow_run", "id": .string(rid)])["details"]?["steps"]?.arrayValue?.count == 2)
        #expect(try call("entity.get", ["type": "step_run", "id": .string("\(rid)/p")])["id"] == .string("\(rid)/p/1"))
        #expect(try call("entity.get", ["type": "component_version", "id": .string("\(cid)@1")])["name"]?.stringValue?.hasSuffix(" v1") == true)
        try call("plugin.load", ["path": .string(KernelProcess.bundledPlugin("mcpk-testops"))])
        try call("plugin.call", ["plugin": "testops", "op": "announce", "args": ["hi"]])
        try call("plugin.reload", ["name": "testops"])
        try call("plugin.unload", ["name": "testops"])

        // Every GET route over HTTP, plus creates through bodies.
        for (method, path) in [("kernel.status", "/api/v1/kernel/status"), ("component.list", "/api/v1/components?limit=5"),
                               ("component.get", "/api/v1/components/\(cid)"), ("component.versions", "/api/v1/components/\(cid)/versions"),
                               ("component.schema", "/api/v1/component-types"), ("workflow.list", "/api/v1/workflows"),
                               ("workflow.get", "/api/v1/workflows/\(wid)"), ("run.list", "/api/v1/workflow-runs?limit=5"),
                               ("run.get", "/api/v1/workflow-runs/\(rid)"), ("run.events", "/api/v1/workflow-runs/\(rid)/events?after=0&limit=3"),
                               ("run.artifacts", "/api/v1/workflow-runs/\(rid)/artifacts"), ("connection.list", "/api/v1/external-databases"),
                               ("connection.get", "/api/v1/external-databases/\(connID)"), ("plugin.list", "/api/v1/plugins"),
                               ("dashboard.summary", "/api/v1/dashboard/summary"), ("dashboard.health", "/api/v1/dashboard/system-health"),
                               ("audit.list", "/api/v1/action-logs?limit=5")] {
            try http(method, "GET", path)
        }
        try http("component.create", "POST", "/api/v1/components", ["name": "via-http", "config": ["type": "Output", "format": "json", "name": "o"]])
        try http("workflow.run", "POST", "/api/v1/workflows/\(wid)/runs", ["inputs": [:]])

        // Deletes, then shutdown last.
        try call("secret.delete", ["name": "TOKEN_A"])
        try call("var.delete", ["name": "REGION"])
        try call("schedule.delete", ["id": .string(sid)])
        try call("webhook.delete", ["id": .string(hid)])
        try call("connection.delete", ["id": .string(connID)])
        try call("workflow.delete", ["id": "fails"])
        try call("component.delete", ["id": "boom"])
        try call("kernel.shutdown")
        stopped = k.waitExit() == 0 || true

        #expect(c.problems.isEmpty, "\(c.problems.joined(separator: "\n"))")
        let missing = Set(c.schemas.keys).subtracting(c.driven).subtracting(Self.notDriven.keys)
        #expect(missing.isEmpty, "methods no request drove: \(missing.sorted())")
        let stale = Set(Self.notDriven.keys).intersection(c.driven).union(Set(Self.notDriven.keys).subtracting(c.schemas.keys))
        #expect(stale.isEmpty, "notDriven is stale: \(stale.sorted())")
    }

    /// The status replies whose sections only a shared store and a Redis add (`cluster`, the
    /// PostgreSQL pool and listener, a connected `redis`) match their schemas too, socket and HTTP.
    @Test func statusRepliesOnPostgresWithRedisMatchTheirSchemas() throws {
        guard LiveBackend.pgURL != nil || LiveBackend.isCI else {
            print("MethodReplyContractTests: MCPK_TEST_PG_URL is not set: PostgreSQL status replies skipped (run `make test`)")
            return
        }
        var env = try LiveBackend.postgres.environment()
        if let redis = getenv("MCPK_TEST_REDIS_URL").map({ String(cString: $0) }), !redis.isEmpty { env["REDIS_URL"] = redis }
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(env: env, http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let client = try k.client()
        let c = try Checker(try client.call("rpc.discover"))
        for (method, path) in [("kernel.status", "/api/v1/kernel/status"), ("dashboard.health", "/api/v1/dashboard/system-health"),
                               ("cluster.status", "/api/v1/cluster/status")] {
            let r = try client.call(method)
            c.check(method, r, via: "socket")
            if method != "cluster.status" {
                #expect(r["cluster"]?["listener"]?.objectValue != nil, "\(method): no cluster section on PostgreSQL")
                if env["REDIS_URL"] != nil { #expect(r["redis"]?["configured"] == true, "\(method): Redis not configured") }
            }
            let h = try HTTPTestClient.request(port: port, "GET", path)
            #expect(h.status == 200)
            c.check(method, h.json, via: "http")
        }
        #expect(c.problems.isEmpty, "\(c.problems.joined(separator: "\n"))")
    }
}
