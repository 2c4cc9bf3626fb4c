import Glibc
import KernelCore
import KernelDispatch
import KernelLoop
import Logging

/// Turns one HTTP request into a response (or an SSE stream) through the route
/// table and the dispatcher. Holds no business logic: auth, CORS, params
/// building, and the error → status mapping.
@KernelActor
public final class HTTPAPI {
    /// What a request becomes.
    public enum Outcome {
        case response(HTTPResponse)
        /// Start an SSE stream: subscribe with `params`, unsubscribe on close.
        case stream(route: HTTPRoute, params: JSONObject, extraHeaders: [(String, String)])
        /// A `200 text/event-stream` response whose messages `produce` writes; it ends when
        /// `produce` returns (the MCP endpoint's per-request streams).
        case events(headers: [(String, String)], produce: @KernelActor (HTTPEventSink) async -> Void)
        /// A stored blob streamed chunk by chunk: `head` (status, headers, no body) then `size`
        /// bytes read through `blobReader`.
        case blob(head: HTTPResponse, digest: String, size: Int64)
    }

    /// Reads bytes `offset ..< offset + length` of a stored blob (the kernel sets it from the
    /// engine's value spool); nil: blob downloads answer 503.
    public var blobReader: (@KernelActor (String, Int64, Int) async throws -> [UInt8])?

    let dispatcher: Dispatcher
    let configuration: any HTTPAPIConfiguration
    let logger: Logger
    let console: ConsoleFiles
    let corsOrigins: [String]
    private let token: [UInt8]?
    private var openAPICache: (methods: [String], body: [UInt8])?
    /// The `ComponentConfig` schema of the OpenAPI document: every known component type's config
    /// (`ComponentTypes.unionSchema`, from the loaded executor plugins); no type without a kernel.
    package var componentConfigSchema: (@KernelActor () -> JSON)?
    /// Answers `POST /hooks/{id}` (set by the kernel: `Kernel.deliverWebhook`).
    package var webhookHandler: (@KernelActor (HTTPRequest, String, String) async -> HTTPResponse)?
    /// Answers `POST /mcp` (set by the kernel: `Kernel.handleMCPHTTP`).
    package var mcpHandler: (@KernelActor (HTTPRequest, String) async -> Outcome)?

    public init(dispatcher: Dispatcher, configuration: any HTTPAPIConfiguration, logger: Logger,
                console: ConsoleFiles) {
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.logger = logger
        self.console = console
        token = configuration.token.map { Array($0.utf8) }
        corsOrigins = (configuration.settings["MCPK_CORS_ORIGINS"] ?? "")
            .split(separator: ",").map { $0.httpTrimmed() }.filter { !$0.isEmpty }
    }

    /// The route pattern used as the metrics label for a request.
    public struct Resolved {
        public var route: HTTPRoute?
        public var label: String
    }

    public func handle(_ request: HTTPRequest, requestID: String) async -> (Outcome, String) {
        var method = request.method
        let isHead = method == "HEAD"
        if isHead { method = "GET" }
        let rawSegments = request.rawPath.split(separator: "/", omittingEmptySubsequences: true)
        let candidates = HTTPRouteTable.routes.compactMap { r in r.match(rawSegments).map { (r, $0) } }
        let label = candidates.first?.0.pattern ?? (request.rawPath.hasPrefix(HTTPRouteTable.prefix) ? "unmatched" : "console")
        let cors = corsHeaders(request)

        // CORS preflight.
        if method == "OPTIONS" {
            guard request.header("origin") != nil else {
                return (.response(.error(405, kind: "invalid_params", message: "OPTIONS is only for CORS preflight")), label)
            }
            guard !cors.isEmpty else {
                return (.response(.error(403, kind: "forbidden", message: "origin not allowed (MCPK_CORS_ORIGINS)")), label)
            }
            let allowed = Set(candidates.map(\.0.method)).sorted().joined(separator: ", ")
            return (.response(HTTPResponse(status: 204, headers: cors + [
                ("Access-Control-Allow-Methods", allowed.isEmpty ? "GET, POST, PUT, PATCH, DELETE" : allowed),
                ("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID, X-Request-Id"),
                ("Access-Control-Max-Age", "600"),
            ])), label)
        }

        var outcome = await route(request, method: method, candidates: candidates, requestID: requestID)
        if case .response(var r) = outcome {
            r.headers += cors
            r.omitBody = isHead
            outcome = .response(r)
        } else if case .stream(let route, let params, let extra) = outcome {
            outcome = .stream(route: route, params: params, extraHeaders: extra + cors)
        } else if case .events(let headers, let produce) = outcome {
            outcome = .events(headers: headers + cors, produce: produce)
        } else if case .blob(var head, let digest, let size) = outcome {
            head.headers += cors
            head.omitBody = isHead
            outcome = .blob(head: head, digest: digest, size: size)
        }
        return (outcome, label)
    }

    private func route(_ request: HTTPRequest, method: String, candidates: [(HTTPRoute, [String: String])],
                       requestID: String) async -> Outcome {
        let isAPI = request.rawPath == HTTPRouteTable.prefix || request.rawPath.hasPrefix(HTTPRouteTable.prefix + "/")
        guard let (route, vars) = candidates.first(where: { $0.0.method == method }) else {
            if !candidates.isEmpty {
                let allow = Set(candidates.map(\.0.method)).sorted().joined(separator: ", ")
                return .response(.error(405, kind: "invalid_params", message: "method \(request.method) not allowed on \(request.rawPath)",
                                        headers: [("Allow", allow)]))
            }
            if isAPI { return .response(.error(404, kind: "not_found", message: "no route for \(request.method) \(request.rawPath)")) }
            guard method == "GET" else {
                return .response(.error(405, kind: "invalid_params", message: "method \(request.method) not allowed on \(request.rawPath)",
                                        headers: [("Allow", "GET, HEAD")]))
            }
            return .response(console.response(for: request))
        }

        if route.action != .health, isAPI || route.action == .metrics || route.action == .mcp, let failure = authenticate(request) {
            return .response(failure)
        }

        switch route.action {
        case .health:
            return .response(.json(200, ["status": "ok", "version": .string(KernelVersion.current)]))
        case .metrics:
            return .response(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                          body: Array(MetricsRegistry.shared.prometheusText().utf8)))
        case .openAPI:
            return .response(HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)], body: openAPIBody()))
        case .webhook:
            guard let handler = webhookHandler, let id = vars["id"] else {
                return .response(.error(404, kind: "not_found", message: "webhooks are not available in this kernel"))
            }
            return .response(await handler(request, id, requestID))
        case .mcp:
            guard let handler = mcpHandler else {
                return .response(.error(404, kind: "not_found", message: "the MCP endpoint is not available in this kernel"))
            }
            return await handler(request, requestID)
        case .control(let name):
            switch buildParams(route, vars: vars, request: request) {
            case .failure(let r): return .response(r)
            case .success(let params):
                return .response(await call(name, route: route, params: params, request: request, requestID: requestID))
            }
        case .download(let name):
            switch buildParams(route, vars: vars, request: request) {
            case .failure(let r): return .response(r)
            case .success(let params):
                return await downloadOutcome(name, route: route, params: params, requestID: requestID)
            }
        case .stream(let subscribe, _):
            guard dispatcher.has(subscribe) else { return .response(notRegistered(subscribe, route)) }
            switch buildParams(route, vars: vars, request: request) {
            case .failure(let r): return .response(r)
            case .success(var params):
                // Resume point (per-run streams only): Last-Event-ID wins over ?after=.
                guard route.pattern.hasSuffix("/stream") else {
                    params["after"] = nil
                    return .stream(route: route, params: params, extraHeaders: [])
                }
                if let after = request.queryValue("after") {
                    guard let seq = Int64(after), seq >= 0 else {
                        return .response(.error(400, kind: "invalid_params", message: "after must be a non-negative integer",
                                                errors: [FieldError("after", "must be a non-negative integer")]))
                    }
                    params["after"] = .int(seq)
                }
                if let last = request.header("last-event-id")?.httpTrimmed(), !last.isEmpty {
                    guard let seq = Int64(last), seq >= 0 else {
                        return .response(.error(400, kind: "invalid_params", message: "Last-Event-ID must be a non-negative integer",
                                                errors: [FieldError("Last-Event-ID", "must be a non-negative integer")]))
                    }
                    params["after"] = .int(seq)
                }
                return .stream(route: route, params: params, extraHeaders: [])
            }
        }
    }

    // MARK: auth and CORS

    /// nil when the request may proceed; otherwise the 401 response.
    func authenticate(_ request: HTTPRequest) -> HTTPResponse? {
        guard let token else { return nil }
        let challenge = [("WWW-Authenticate", "Bearer realm=\"mcpk\"")]
        guard let auth = request.header("authorization") else {
            return .error(401, kind: "unauthenticated", message: "missing Authorization: Bearer token", headers: challenge)
        }
        let prefix = "bearer "
        guard auth.count > prefix.count, auth.prefix(prefix.count).lowercased() == prefix else {
            return .error(401, kind: "unauthenticated", message: "Authorization must use the Bearer scheme", headers: challenge)
        }
        let given = Array(auth.dropFirst(prefix.count).httpTrimmed().utf8)
        guard HTTPAPI.constantTimeEqual(given, token) else {
            return .error(401, kind: "unauthenticated", message: "invalid token", headers: challenge)
        }
        return nil
    }

    /// Compares in time that depends only on the lengths.
    public nonisolated static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }

    func corsHeaders(_ request: HTTPRequest) -> [(String, String)] {
        guard !corsOrigins.isEmpty, let origin = request.header("origin") else { return [] }
        guard corsOrigins.contains(origin) || corsOrigins.contains("*") else { return [] }
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                ("Access-Control-Expose-Headers", "Location, X-Request-Id")]
    }

    // MARK: params

    func buildParams(_ route: HTTPRoute, vars: [String: String], request: HTTPRequest) -> Result<JSONObject, HTTPResponse> {
        var params = JSONObject()
        if route.body == .merge, !request.body.isEmpty {
            if let ct = request.header("content-type")?.lowercased(), !ct.hasPrefix("application/json"), !ct.hasSuffix("+json") {
                return .failure(.error(415, kind: "invalid_params", message: "request body must be application/json (got \(ct))"))
            }
            let value: JSON
            do { value = try JSONParser.parse(request.body) } catch {
                return .failure(.error(400, kind: "invalid_params", message: "request body is not valid JSON: \(error)"))
            }
            guard case .object(let o) = value else {
                return .failure(.error(400, kind: "invalid_params", message: "request body must be a JSON object",
                                       errors: [FieldError("body", "must be an object")]))
            }
            params = o
        }
        if route.query {
            let schema = route.controlMethod.flatMap { name in dispatcher.spec(name)?.params }
            var seen = Set<String>()
            for (k, _) in request.query where !seen.contains(k) && vars[k] == nil {
                seen.insert(k)
                let all = request.query.filter { $0.0 == k }.map(\.1)
                params[k] = HTTPAPI.coerce(all, schema: schema?["properties"]?[k])
            }
        }
        for (header, param) in route.headerParams {
            if let v = request.header(header) { params[param] = .string(v.httpTrimmed()) }
        }
        for (k, v) in vars { params[k] = .string(v) }
        return .success(params)
    }

    /// Query strings are text; the method's params schema says what they mean.
    nonisolated static func coerce(_ values: [String], schema: JSON?) -> JSON {
        let type = schema?["type"]
        let types: [String] = type?.stringValue.map { [$0] } ?? type?.arrayValue?.compactMap(\.stringValue) ?? []
        let last = values.last ?? ""
        if types.contains("array") {
            let items = values.flatMap { $0.split(separator: ",").map(String.init) }
            return .array(items.map { coerce([$0], schema: schema?["items"]) })
        }
        if types.contains("integer"), let i = Int64(last) { return .int(i) }
        if types.contains("number"), let d = Double(last), d.isFinite {
            if let i = Int64(last) { return .int(i) }
            return .double(d)
        }
        if types.contains("boolean") {
            if last == "true" || last == "1" { return .bool(true) }
            if last == "false" || last == "0" { return .bool(false) }
        }
        if types.contains("null") && (last == "null" || last.isEmpty) && !types.contains("string") { return .null }
        return .string(last)
    }

    // MARK: calls

    func context(_ requestID: String) -> CallContext {
        CallContext(actor: token == nil ? "http" : "http:token", transport: .http, requestID: requestID)
    }

    func notRegistered(_ method: String, _ route: HTTPRoute) -> HTTPResponse {
        .error(404, kind: "not_found",
               message: "\(route.method) \(route.pattern) maps to control method '\(method)', which is not available in this kernel")
    }

    func call(_ name: String, route: HTTPRoute, params: JSONObject, request: HTTPRequest, requestID: String) async -> HTTPResponse {
        guard dispatcher.has(name) else { return notRegistered(name, route) }
        let result = await dispatcher.call(name, params: .object(params), context: context(requestID))
        Metrics.methodCalls.increment(["method": name, "outcome": result.outcomeLabel])
        switch result {
        case .failure(let e):
            return HTTPAPI.errorResponse(e.kernelError)
        case .success(let value):
            var headers: [(String, String)] = []
            if let location = route.location, let url = HTTPAPI.fill(location, from: value) {
                headers.append(("Location", url))
            }
            return .json(route.status, value, headers: headers)
        }
    }

    /// Substitutes `{field}` placeholders with string/int top-level members of `value`.
    nonisolated static func fill(_ template: String, from value: JSON) -> String? {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return nil }
            out += rest[..<open]
            let key = String(rest[rest.index(after: open)..<close])
            // Replies are flat (the method's reply schema): the field is at the top level.
            let v = value[key]
            if let s = v?.stringValue { out += percentEncodeSegment(s) } else if let i = v?.intValue { out += String(i) } else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    package nonisolated static func percentEncodeSegment(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// The status for a control error kind (contract: issue 7).
    public nonisolated static func status(for e: KernelError) -> Int {
        switch e.kind {
        case .invalidParams: return e.errors.isEmpty ? 400 : 422
        case .notFound: return 404
        case .conflict: return 409
        case .forbidden: return 403
        case .unavailable: return 503
        case .internal: return 500
        }
    }

    public nonisolated static func errorResponse(_ e: KernelError) -> HTTPResponse {
        .error(status(for: e), kind: e.kind.rawValue, message: e.message, errors: e.errors)
    }

    /// A download whose method result names a stored blob (`blob: {digest, size}`) streams
    /// it; one carrying `{value, by_reference: false}` answers the value's JSON text; the rest
    /// are `download`'s.
    func downloadOutcome(_ name: String, route: HTTPRoute, params: JSONObject, requestID: String) async -> Outcome {
        guard name == "run.result" else { return .response(await download(name, route: route, params: params, requestID: requestID)) }
        guard dispatcher.has(name) else { return .response(notRegistered(name, route)) }
        let result = await dispatcher.call(name, params: .object(params), context: context(requestID))
        Metrics.methodCalls.increment(["method": name, "outcome": result.outcomeLabel])
        let value: JSON
        switch result {
        case .failure(let e): return .response(HTTPAPI.errorResponse(e.kernelError))
        case .success(let v): value = v
        }
        let type = value["content_type"]?.stringValue ?? HTTPResponse.jsonContentType
        let headers = [("Content-Type", type), ("X-Content-Type-Options", "nosniff")]
        if let blob = value["blob"], let digest = blob["digest"]?.stringValue, let size = blob["size"]?.intValue {
            guard blobReader != nil else { return .response(.error(503, kind: "unavailable", message: "no blob store")) }
            return .blob(head: HTTPResponse(status: 200, headers: headers + [("X-Content-SHA256", digest)]), digest: digest, size: size)
        }
        var body = (value["value"] ?? .null).serializedBytes()
        body.append(0x0A)
        return .response(HTTPResponse(status: 200, headers: headers, body: body))
    }

    /// Downloads (`run.artifact`): the reply is `{name, mime, size, encoding, content}` with
    /// `encoding` `utf-8` (text content) or `base64`; `mime` sets the type.
    func download(_ name: String, route: HTTPRoute, params: JSONObject, requestID: String) async -> HTTPResponse {
        guard dispatcher.has(name) else { return notRegistered(name, route) }
        let result = await dispatcher.call(name, params: .object(params), context: context(requestID))
        Metrics.methodCalls.increment(["method": name, "outcome": result.outcomeLabel])
        let value: JSON
        switch result {
        case .failure(let e): return HTTPAPI.errorResponse(e.kernelError)
        case .success(let v): value = v
        }
        guard let fileName = value["name"]?.stringValue, let type = value["mime"]?.stringValue,
              let content = value["content"]?.stringValue else {
            return .error(500, kind: "internal", message: "\(name) answered without name, mime and content")
        }
        var bytes: [UInt8]
        switch value["encoding"]?.stringValue {
        case "utf-8"?:
            bytes = Array(content.utf8)
        case "base64"?:
            guard let decoded = Base64.decode(content) else {
                return .error(500, kind: "internal", message: "artifact '\(fileName)' has malformed base64 content")
            }
            bytes = decoded
        default:
            return .error(500, kind: "internal", message: "artifact '\(fileName)' has an unknown encoding")
        }
        let safeName = String(fileName.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }.map(Character.init))
        let response = HTTPResponse(status: 200, headers: [
            ("Content-Type", type), ("Content-Disposition", "attachment; filename=\"\(safeName)\""),
            ("X-Content-Type-Options", "nosniff"),
        ], body: bytes)
        bytes = []
        return response
    }

    // MARK: OpenAPI

    func openAPIBody() -> [UInt8] {
        let config = componentConfigSchema?() ?? ComponentTypes(declared: []).unionSchema
        // Keyed by the methods and the component types, so plugin.load / unload show in the document.
        let names = dispatcher.methods.map(\.name) + (config["properties"]?["type"]?["enum"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let c = openAPICache, c.methods == names { return c.body }
        let doc = OpenAPIGenerator(routes: HTTPRouteTable.routes, methods: dispatcher.methods,
                                   secured: token != nil, componentConfig: config).document()
        var body = doc.serializedBytes()
        body.append(0x0A)
        openAPICache = (names, body)
        return body
    }
}

extension Result where Success == JSON, Failure == DispatchError {
    var outcomeLabel: String {
        switch self {
        case .success: return "ok"
        case .failure(.methodNotFound): return "method_not_found"
        case .failure(.kernel(let e)): return e.kind.rawValue
        }
    }
}
