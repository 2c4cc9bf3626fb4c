import KernelCore
import KernelEngine
import KernelLoop
import KernelStore

/// The kernel as an MCP server (issue 18): workflows whose definition says `expose: ["mcp"]`
/// and that have a description are tools named after the workflow (`inputSchema` = the
/// workflow's input schema); runs and their artifacts are resources. Dual-era: a request with
/// `_meta["io.modelcontextprotocol/protocolVersion"]` is served statelessly per revision
/// 2026-07-28 (`server/discover`, `resultType`, cache hints, `serverInfo` in `_meta`); an
/// `initialize` opens a legacy 2025-11-25 session. Transports: `POST /mcp` on the shim and
/// `mcp.message` on the control socket (bridged to stdio by `mcpk mcp`). A tool call runs
/// through `RunEngine.submit` with `trigger: {kind: "mcp", id: workflow, tool}`.
@KernelActor
final class MCPServer {
    static let modernVersion = "2026-07-28"
    static let legacyVersion = "2025-11-25"
    static let supportedVersions = [modernVersion, legacyVersion]
    /// Revisions an `initialize` may name that are answered as asked.
    static let handshakeVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    /// Longest a tool call waits for its run (ms); the run goes on after that, the call says so.
    static let maxCallMilliseconds = 3_600_000
    /// Resources listed (newest runs).
    static let maxListedRuns = 50

    unowned let kernel: Kernel
    /// Tool calls in flight by "<session>|<request id>": their runs (for notifications/cancelled).
    private var inFlight: [String: EntityID] = [:]

    init(kernel: Kernel) { self.kernel = kernel }

    var serverInfo: JSON { ["name": "mcpk", "version": .string(Kernel.version)] }
    var capabilities: JSON { ["tools": ["listChanged": false], "resources": ["listChanged": false, "subscribe": false]] }

    static func error(_ id: JSON, _ code: Int64, _ message: String, data: JSON? = nil) -> JSON {
        var e = JSONObject([("code", .int(code)), ("message", .string(message))])
        if let data { e["data"] = data }
        return ["jsonrpc": "2.0", "id": id, "error": .object(e)]
    }

    /// Handles one JSON-RPC message of `session`; `notify` sends a notification tied to this
    /// request (progress). Returns the response, or nil for a notification.
    func handle(_ message: JSON, session: String, notify: @escaping @KernelActor (JSON) -> Void) async -> JSON? {
        guard case .object(let msg) = message, let method = msg["method"]?.stringValue else {
            return MCPServer.error(message["id"] ?? .null, -32600, "invalid request: a JSON-RPC request or notification object is expected")
        }
        let params = msg["params"] ?? [:]
        guard let id = msg["id"], !id.isNull else {
            await notification(method, params, session: session)
            return nil
        }
        let requested = params["_meta"]?[MCPServer.versionKey]?.stringValue
        let modern = requested != nil
        if let requested, requested != MCPServer.modernVersion {
            return MCPServer.error(id, -32022, "Unsupported protocol version",
                                   data: ["supported": JSON(MCPServer.supportedVersions), "requested": .string(requested)])
        }
        do {
            guard var result = try await call(method, params, id: id, session: session, modern: modern, notify: notify) else {
                return MCPServer.error(id, -32601, "Method not found: \(method)")
            }
            if modern, case .object(var o) = result {
                o["resultType"] = "complete"
                var meta = o["_meta"]?.objectValue ?? JSONObject()
                meta[MCPServer.serverInfoKey] = serverInfo
                o["_meta"] = .object(meta)
                result = .object(o)
            }
            return ["jsonrpc": "2.0", "id": id, "result": result]
        } catch let e as KernelError {
            let code: Int64 = e.kind == .invalidParams || e.kind == .notFound ? -32602 : -32603
            return MCPServer.error(id, code, e.message, data: e.json)
        } catch {
            return MCPServer.error(id, -32603, "\(error)")
        }
    }

    private func notification(_ method: String, _ params: JSON, session: String) async {
        guard method == "notifications/cancelled", let rid = params["requestId"] else { return }
        await cancel(session: session, requestID: rid)
    }

    /// Cancels the run of an in-flight tool call (a `notifications/cancelled`, or on HTTP the
    /// request's response stream closing).
    func cancel(session: String, requestID: JSON) async {
        guard let run = inFlight["\(session)|\(requestID.serialized())"] else { return }
        _ = try? await kernel.requireEngine().cancel(run)
    }

    /// nil: no such method.
    private func call(_ method: String, _ params: JSON, id: JSON, session: String, modern: Bool,
                      notify: @escaping @KernelActor (JSON) -> Void) async throws -> JSON? {
        switch method {
        case "initialize":
            let asked = params["protocolVersion"]?.stringValue ?? ""
            let version = MCPServer.handshakeVersions.contains(asked) ? asked : MCPServer.legacyVersion
            return ["protocolVersion": .string(version), "capabilities": capabilities, "serverInfo": serverInfo,
                    "instructions": "Workflows of this MCP Kernel exposed as tools; runs and artifacts as resources (mcpk://runs/{id})."]
        case "server/discover":
            return ["supportedVersions": JSON(MCPServer.supportedVersions), "capabilities": capabilities, "ttlMs": 0, "cacheScope": "private"]
        case "ping":
            return [:]
        case "tools/list":
            var o = JSONObject([("tools", .array(try await tools().map(\.tool)))])
            if modern { o["ttlMs"] = 0; o["cacheScope"] = "private" }
            return .object(o)
        case "tools/call":
            return try await callTool(params, id: id, session: session, notify: notify)
        case "resources/list":
            let page = try await kernel.requireEngine().list(workflow: nil, status: nil, limit: MCPServer.maxListedRuns, cursor: nil)
            let resources: [JSON] = (page["runs"]?.arrayValue ?? []).compactMap { r in
                guard let rid = r["id"]?.stringValue else { return nil }
                return ["uri": .string("mcpk://runs/\(rid)"), "name": .string("run \(rid)"), "mimeType": "application/json",
                        "description": .string("Run of workflow \(r["workflow_id"]?.stringValue ?? "?"): \(r["status"]?.stringValue ?? "?")")]
            }
            var o = JSONObject([("resources", .array(resources))])
            if modern { o["ttlMs"] = 0; o["cacheScope"] = "private" }
            return .object(o)
        case "resources/templates/list":
            var o = JSONObject([("resourceTemplates", [
                ["uriTemplate": "mcpk://runs/{run_id}", "name": "run", "description": "A run with its steps, outputs and errors", "mimeType": "application/json"],
                ["uriTemplate": "mcpk://runs/{run_id}/artifacts/{name}", "name": "artifact", "description": "One artifact of a run"],
            ])])
            if modern { o["ttlMs"] = 0; o["cacheScope"] = "private" }
            return .object(o)
        case "resources/read":
            var o = JSONObject([("contents", .array([try await readResource(params)]))])
            if modern { o["ttlMs"] = 0; o["cacheScope"] = "private" }
            return .object(o)
        default:
            return nil
        }
    }

    struct Tool { var workflow: Workflow; var tool: JSON }

    /// Every exposed workflow, by name.
    func tools() async throws -> [Tool] {
        let store = try kernel.requireStore()
        var out: [Tool] = []
        var cursor: String?
        repeat {
            let page = try await store.listWorkflows(WorkflowQuery(limit: StoreLimits.maxPageSize, cursor: cursor))
            for w in page.items {
                let exposed = w.definition["expose"]?.arrayValue?.contains("mcp") == true
                guard exposed, !w.description.isEmpty else { continue }
                let schema = w.definition["inputs"] ?? ["type": "object"]
                out.append(Tool(workflow: w, tool: ["name": .string(w.name), "description": .string(w.description), "inputSchema": schema]))
            }
            cursor = page.nextCursor
        } while cursor != nil
        return out.sorted { $0.workflow.name < $1.workflow.name }
    }

    private func callTool(_ params: JSON, id: JSON, session: String, notify: @escaping @KernelActor (JSON) -> Void) async throws -> JSON {
        guard let name = params["name"]?.stringValue else {
            throw KernelError.invalidParams("tools/call needs a tool name", errors: [FieldError("name", "is required")])
        }
        guard let tool = try await tools().first(where: { $0.workflow.name == name }) else {
            throw KernelError.invalidParams("unknown tool '\(name)'", errors: [FieldError("name", "no workflow named '\(name)' is exposed to MCP")])
        }
        let engine = try kernel.requireEngine()
        let run: WorkflowRun
        do {
            run = try await engine.submit(workflow: tool.workflow.id, version: nil, inputs: params["arguments"] ?? [:], actor: "mcp",
                                          trigger: ["kind": "mcp", "id": .string(tool.workflow.id), "tool": .string(name)])
        } catch let e as KernelError where e.kind == .invalidParams {
            // Invalid arguments are a tool execution error the model can correct: every path named.
            let lines = e.errors.map { "\($0.path): \($0.message)" }
            return ["content": [["type": "text", "text": .string(([e.message] + lines).joined(separator: "\n"))]], "isError": true,
                    "structuredContent": ["error": e.json]]
        }
        let key = "\(session)|\(id.serialized())"
        inFlight[key] = run.id
        defer { inFlight[key] = nil }
        var subscription: RunSubscription?
        if let token = params["_meta"]?["progressToken"], !token.isNull {
            var count: Int64 = 0
            let total = Int64(max(1, run.pinned.objectValue?.count ?? 1))
            // One event (its `RunEvent.json` form) → a progress notification.
            func report(_ type: String?, _ stepID: String?, _ payload: JSON) {
                var message: String?
                switch type {
                case RunEvent.Kind.statusChange.rawValue?:
                    if let st = payload["status"]?.stringValue {
                        message = stepID.map { "step \($0): \(st)" } ?? "run \(st)"
                        if stepID != nil, StepStatus(rawValue: st)?.isTerminal == true { count += 1 }
                    }
                case RunEvent.Kind.progress.rawValue?:
                    message = payload["message"]?.stringValue ?? "step \(stepID ?? "?") progress"
                default: break
                }
                if let message {
                    notify(["jsonrpc": "2.0", "method": "notifications/progress",
                            "params": ["progressToken": token, "progress": .int(min(count, total)), "total": .int(total), "message": .string(message)]])
                }
            }
            let (reply, sub) = try await engine.subscribe(run.id, after: 0) { event in
                report(event.type.rawValue, event.stepID, event.payload)
                return true
            }
            // Events stored before the subscription come in its reply, not through the callback:
            // report them too (else a step that started at once never shows progress).
            for e in reply["events"]?.arrayValue ?? [] {
                report(e["type"]?.stringValue, e["step_id"]?.stringValue, e["payload"] ?? .null)
            }
            subscription = sub
        }
        defer { subscription?.close() }
        let snap = try await kernel.waitForRun(run.id, timeoutMs: MCPServer.maxCallMilliseconds)
        let status = snap["status"]?.stringValue ?? ""
        switch status {
        case "succeeded":
            let outputs = snap["outputs"] ?? .null
            var o = JSONObject([("content", [["type": "text", "text": .string(outputs.serialized())]])])
            o["structuredContent"] = outputs.objectValue != nil ? outputs : ["result": outputs]
            o["isError"] = false
            o["_meta"] = ["mcpk/run_id": .string(run.id)]
            return .object(o)
        case "failed", "cancelled", "timed_out":
            return ["content": [["type": "text", "text": .string("run \(run.id) \(status): \(snap["error"]?.stringValue ?? "")")]], "isError": true,
                    "structuredContent": ["run_id": .string(run.id), "status": .string(status), "error": snap["error"] ?? .null],
                    "_meta": ["mcpk/run_id": .string(run.id)]]
        default:
            return ["content": [["type": "text", "text": .string("run \(run.id) is still \(status) after \(MCPServer.maxCallMilliseconds / 1000) s; read mcpk://runs/\(run.id)")]],
                    "isError": true, "_meta": ["mcpk/run_id": .string(run.id)]]
        }
    }

    private func readResource(_ params: JSON) async throws -> JSON {
        guard let uri = params["uri"]?.stringValue else { throw KernelError.invalidParams("resources/read needs a uri", errors: [FieldError("uri", "is required")]) }
        let prefix = "mcpk://runs/"
        guard uri.hasPrefix(prefix) else { throw KernelError.invalidParams("unknown resource \(uri)", errors: [FieldError("uri", "must be mcpk://runs/{run_id}[/artifacts/{name}]")]) }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let engine = try kernel.requireEngine()
        if parts.count == 1 {
            return ["uri": .string(uri), "mimeType": "application/json", "text": .string(try await engine.snapshot(parts[0]).serialized())]
        }
        guard parts.count == 3, parts[1] == "artifacts" else {
            throw KernelError.invalidParams("unknown resource \(uri)", errors: [FieldError("uri", "must be mcpk://runs/{run_id}[/artifacts/{name}]")])
        }
        let a = try await engine.artifact(parts[0], name: parts[2])
        let mime = a["mime"] ?? .string(MIMETypes.fallback)  // run.artifact's `mime` (MIMETypes)
        if a["encoding"]?.stringValue == "base64" {
            return ["uri": .string(uri), "mimeType": mime, "blob": a["content"] ?? ""]
        }
        return ["uri": .string(uri), "mimeType": mime, "text": a["content"] ?? ""]
    }
}
