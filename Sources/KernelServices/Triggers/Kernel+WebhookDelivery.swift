import KernelCore
import KernelEngine
import KernelLoop
import KernelStore
import KernelTransport

/// `POST /hooks/{id}`: a webhook delivery. Hooks authenticate by signature, not by the API
/// token: a hook with a secret refuses any request whose `X-Signature-256` is not the
/// HMAC-SHA256 of the exact body (401, nothing run); a hook without one accepts anyone who
/// knows its (random, unguessable) id. The run goes through `RunEngine.submit`, the path
/// `workflow.run` uses, with `trigger: {kind: "webhook", id, name}`.
extension Kernel {
    /// Headers never passed to a mapping (credentials).
    static let webhookHiddenHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization", WebhookSignature.header]

    func deliverWebhook(_ request: HTTPRequest, id: String, requestID: String) async -> HTTPResponse {
        do {
            return try await deliverWebhookOrThrow(request, id: id, requestID: requestID)
        } catch let e as KernelError {
            return HTTPAPI.errorResponse(e)
        } catch {
            return HTTPAPI.errorResponse(.internal(String(describing: error)))
        }
    }

    private func deliverWebhookOrThrow(_ request: HTTPRequest, id: String, requestID: String) async throws -> HTTPResponse {
        let store = try requireTriggerStore()
        let hook = try await store.webhook(id)
        guard hook.id == id else { throw KernelError.notFound("webhook \(id) not found") }

        if hook.hasSecret {
            let secret = try await store.unsealWebhookSecret(id: hook.id) ?? ""
            guard WebhookSignature.verify(request.header(WebhookSignature.header), secret: secret, body: request.body) else {
                let why = request.header(WebhookSignature.header) == nil ? "missing X-Signature-256 header"
                    : "X-Signature-256 does not match the body (expected sha256=<hex HMAC-SHA256 of the body with the hook's secret>)"
                logger.warning("webhook delivery refused", metadata: ["webhook": "\(hook.id)", "reason": "\(why)", "request_id": "\(requestID)"])
                return .error(401, kind: "unauthenticated", message: why)
            }
        }
        if let retry = triggers.webhookLimiter.take(hook.id, perMinute: hook.rateLimitPerMinute, nowMs: MonotonicClock.milliseconds()) {
            return .error(429, kind: "unavailable",
                          message: "rate limit of webhook '\(hook.name)' reached: \(hook.rateLimitPerMinute) requests per minute (rate_limit_per_minute)",
                          headers: [("Retry-After", String(retry))])
        }
        let waitMs = try Kernel.webhookWait(request.queryValue("wait"))

        // Body → JSON (a JSON document, a form, or nothing).
        let body: JSON
        let contentType = (request.header("content-type") ?? "").lowercased()
        if request.body.isEmpty {
            body = [:]
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            body = WebhookMapping.formObject(HTTPRequest.parseQuery(String(decoding: request.body, as: UTF8.self)))
        } else if contentType.isEmpty || contentType.hasPrefix("application/json") || contentType.hasSuffix("+json") {
            do { body = try JSONParser.parse(request.body) } catch {
                throw KernelError.invalidParams("request body is not valid JSON: \(error)", errors: [FieldError("body", "is not valid JSON")])
            }
        } else {
            return .error(415, kind: "invalid_params", message: "a webhook body must be application/json or application/x-www-form-urlencoded (got \(contentType))")
        }
        var headers = JSONObject()
        for (k, v) in request.headers where !Kernel.webhookHiddenHeaders.contains(k) { headers[k] = .string(v) }
        var query = JSONObject()
        for (k, v) in request.query where k != "wait" { query[k] = .string(v) }
        let inputs = try WebhookMapping.inputs(mapping: hook.mapping, body: body, headers: .object(headers), query: .object(query))

        // Idempotency: the first delivery with a key starts the run; repeats within the window get it back.
        let key = request.header("idempotency-key")?.httpTrimmed()
        if let key {
            guard !key.isEmpty, key.utf8.count <= WebhookLimits.maxIdempotencyKeyLength else {
                throw KernelError.invalidParams("invalid Idempotency-Key",
                                                errors: [FieldError("Idempotency-Key", "must be 1 to \(WebhookLimits.maxIdempotencyKeyLength) bytes (WebhookLimits.maxIdempotencyKeyLength)")])
            }
            switch try await store.claimDelivery(webhookID: hook.id, key: key, now: .now(), windowMilliseconds: WebhookLimits.idempotencyWindowMilliseconds) {
            case .existing(let runID):
                return try await webhookReply(runID: runID, waitMs: waitMs, replayed: true)
            case .inFlight:
                throw KernelError.conflict("a delivery with Idempotency-Key '\(key)' is being started; retry shortly")
            case .claimed:
                break
            }
        }
        let run: WorkflowRun
        do {
            run = try await requireEngine().submit(workflow: hook.workflowID, version: hook.workflowVersion, inputs: inputs,
                                                   actor: "webhook:\(hook.id)",
                                                   trigger: ["kind": "webhook", "id": .string(hook.id), "name": .string(hook.name)])
        } catch {
            if let key { try? await store.finishDelivery(webhookID: hook.id, key: key, runID: nil) }
            throw error
        }
        if let key { try await store.finishDelivery(webhookID: hook.id, key: key, runID: run.id) }
        return try await webhookReply(runID: run.id, waitMs: waitMs, replayed: false)
    }

    /// 202 `{run_id, status}` at once; with `?wait=` the run's result (200) when it ended in time.
    private func webhookReply(runID: EntityID, waitMs: Int?, replayed: Bool) async throws -> HTTPResponse {
        let headers = [("Location", "/api/v1/workflow-runs/\(HTTPAPI.percentEncodeSegment(runID))")]
        var o = JSONObject([("run_id", .string(runID))])
        if replayed { o["replayed"] = true }
        guard let waitMs else {
            o["status"] = replayed ? (try await requireEngine().snapshot(runID))["status"] ?? .null : "queued"
            return .json(202, .object(o), headers: headers)
        }
        let snap = try await waitForRun(runID, timeoutMs: waitMs)
        let status = snap["status"]?.stringValue ?? ""
        o["status"] = .string(status)
        guard let st = RunStatus(rawValue: status), st.isTerminal else { return .json(202, .object(o), headers: headers) }
        o["outputs"] = snap["outputs"] ?? .null
        o["error"] = snap["error"] ?? .null
        return .json(200, .object(o), headers: headers)
    }

    /// `?wait=30s` (also `500ms`, `2m`, or plain seconds), at most `WebhookLimits.maxWaitMilliseconds`.
    static func webhookWait(_ raw: String?) throws -> Int? {
        guard let raw, !raw.isEmpty else { return nil }
        var digits = Substring(raw)
        var scale = 1000
        if digits.hasSuffix("ms") { digits = digits.dropLast(2); scale = 1 } else if digits.hasSuffix("s") { digits = digits.dropLast() } else if digits.hasSuffix("m") { digits = digits.dropLast(); scale = 60_000 }
        guard let n = Int(digits), n >= 0, n <= WebhookLimits.maxWaitMilliseconds / scale else {
            throw KernelError.invalidParams("invalid wait",
                                            errors: [FieldError("wait", "must be a duration such as 30s, 500ms or 2m, at most \(WebhookLimits.maxWaitMilliseconds / 1000)s (WebhookLimits.maxWaitMilliseconds)")])
        }
        return n * scale
    }
}
