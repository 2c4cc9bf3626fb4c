import KernelCore
import KernelDispatch
import KernelLoop
import KernelTransport

/// The MCP server's transports: `mcp.message` on the control socket (what `mcpk mcp` bridges
/// to stdio) and `POST /mcp` on the HTTP shim.
extension Kernel {
    /// Origins always allowed on `/mcp` besides `MCPK_CORS_ORIGINS`: the shim's own loopback ones.
    static let loopbackOriginHosts = ["127.0.0.1", "localhost", "[::1]"]

    func mcpServer() -> MCPServer {
        if let s = triggers.mcp { return s }
        let s = MCPServer(kernel: self)
        triggers.mcp = s
        return s
    }

    package func registerMCPMethods() {
        dispatcher.register("mcp.message", summary: "One MCP JSON-RPC message of a session (the stdio bridge `mcpk mcp`); related notifications arrive as `mcp.notification`.",
                            params: ["type": "object", "required": ["session", "message"], "properties": [
                                "session": ["type": "string", "minLength": 1, "maxLength": 128], "message": ["type": "object"]],
                                     "additionalProperties": false]) { [unowned self] p, ctx in
            let session = try p.string("session")
            guard let message = p.value("message") else { throw KernelError.invalidParams("invalid params", errors: [FieldError("message", "is required")]) }
            let client = ctx.session
            let response = await self.mcpServer().handle(message, session: "socket:" + session) { [weak client] note in
                _ = client?.notify("mcp.notification", ["session": .string(session), "message": note])
            }
            return ["response": response ?? .null]
        }
    }

    /// `POST /mcp` (streamable HTTP). The bearer token was checked by the shim as for the API.
    func handleMCPHTTP(_ request: HTTPRequest, requestID: String) async -> HTTPAPI.Outcome {
        // A tool call to a client that accepts a stream is answered as SSE: its progress
        // notifications, then the result; the stream closing cancels the call.
        if let message = try? JSONParser.parse(request.body), message["method"]?.stringValue == "tools/call", let id = message["id"], !id.isNull,
           (request.header("accept") ?? "").contains("text/event-stream"), mcpRequestProblem(request, message) == nil {
            let session = "http:" + (request.header("mcp-session-id") ?? "")
            let server = mcpServer()
            return .events(headers: []) { sink in
                sink.onClose = { Task { @KernelActor in await server.cancel(session: session, requestID: id) } }
                let response = await server.handle(message, session: session) { note in sink.send(note) }
                if let response { sink.send(response) }
            }
        }
        return .response(await mcpJSONResponse(request, requestID: requestID))
    }

    /// Why a message cannot be served (origin, shape, header mismatch), as the response to send.
    func mcpRequestProblem(_ request: HTTPRequest, _ message: JSON) -> HTTPResponse? {
        if let origin = request.header("origin"), !mcpOriginAllowed(origin) {
            return .json(403, MCPServer.error(.null, -32600, "Origin \(origin) is not allowed on /mcp (MCPK_CORS_ORIGINS)"))
        }
        guard case .object = message else {
            return .json(400, MCPServer.error(.null, -32600, "the body must be one JSON-RPC request or notification (batches are not accepted)"))
        }
        let bodyVersion = message["params"]?["_meta"]?[MCPServer.versionKey]?.stringValue
        guard let bodyVersion, bodyVersion == MCPServer.modernVersion else { return nil }
        // 2026-07-28: the standard headers mirror the body, and must agree with it (HeaderMismatch).
        let id = message["id"] ?? .null
        func mismatch(_ text: String) -> HTTPResponse { .json(400, MCPServer.error(id, -32020, "Header mismatch: " + text)) }
        guard let header = request.header("mcp-protocol-version") else { return mismatch("the MCP-Protocol-Version header is missing") }
        if header != bodyVersion { return mismatch("MCP-Protocol-Version '\(header)' does not match the body's '\(bodyVersion)'") }
        let method = message["method"]?.stringValue ?? ""
        guard let m = request.header("mcp-method") else { return mismatch("the Mcp-Method header is missing") }
        if m != method { return mismatch("Mcp-Method '\(m)' does not match the body's '\(method)'") }
        if ["tools/call", "resources/read", "prompts/get"].contains(method) {
            let bodyName = message["params"]?["name"]?.stringValue ?? message["params"]?["uri"]?.stringValue ?? ""
            guard let raw = request.header("mcp-name") else { return mismatch("the Mcp-Name header is missing") }
            var name = raw
            if raw.hasPrefix("=?base64?"), raw.hasSuffix("?="), raw.count >= 11 {
                let inner = String(raw.dropFirst(9).dropLast(2))
                guard let bytes = Base64.decode(inner), let decoded = String(validating: bytes, as: UTF8.self) else {
                    return mismatch("Mcp-Name is not valid base64 UTF-8")
                }
                name = decoded
            }
            if name != bodyName { return mismatch("Mcp-Name '\(name)' does not match the body's '\(bodyName)'") }
        }
        return nil
    }

    private func mcpJSONResponse(_ request: HTTPRequest, requestID: String) async -> HTTPResponse {
        if let origin = request.header("origin"), !mcpOriginAllowed(origin) {
            return .json(403, MCPServer.error(.null, -32600, "Origin \(origin) is not allowed on /mcp (MCPK_CORS_ORIGINS)"))
        }
        let message: JSON
        do { message = try JSONParser.parse(request.body) } catch {
            return .json(400, MCPServer.error(.null, -32700, "Parse error: \(error)"))
        }
        if let problem = mcpRequestProblem(request, message) { return problem }
        let bodyVersion = message["params"]?["_meta"]?[MCPServer.versionKey]?.stringValue
        var session = request.header("mcp-session-id") ?? ""
        var headers: [(String, String)] = []
        if message["method"]?.stringValue == "initialize" {
            session = Identifier.uuid()
            headers.append(("Mcp-Session-Id", session))
        }
        let response = await mcpServer().handle(message, session: "http:" + session) { _ in }
        guard let response else { return HTTPResponse(status: 202) }
        var status = 200
        if bodyVersion != nil, let code = response["error"]?["code"]?.intValue {
            status = code == -32601 ? 404 : (code == -32022 || code == -32020) ? 400 : 200
        }
        return .json(status, response, headers: headers)
    }

    func mcpOriginAllowed(_ origin: String) -> Bool {
        let allowed = (configuration.settings["MCPK_CORS_ORIGINS"] ?? "").split(separator: ",").map { $0.httpTrimmed() }
        if allowed.contains(origin) || allowed.contains("*") { return true }
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            let host = origin.dropFirst(scheme.count).split(separator: ":").first.map(String.init) ?? ""
            if origin.dropFirst(scheme.count).hasPrefix("[::1]") { return true }
            if Kernel.loopbackOriginHosts.contains(host) { return true }
        }
        return false
    }
}
