import KernelCore
import KernelDispatch
import KernelEngine
import KernelLoop
import KernelServices
import KernelStore

/// `webhook.create|get|list|update|delete` (issue 18). A hook's URL is `/hooks/{id}` on the
/// HTTP shim; its signing secret is sealed at rest like connection secrets and never returned.
extension Kernel {
    func registerWebhookMethods() {
        let idOnly: JSON = ["type": "object", "required": ["id"], "properties": ["id": ["type": "string", "description": "Webhook id or name"]],
                            "additionalProperties": false]
        let secretSchema: JSON = ["type": ["string", "null"], "minLength": 1,
                                  "description": "HMAC-SHA256 signing secret (X-Signature-256: sha256=<hex>); sealed at rest, never returned; null on update clears it"]
        let properties = JSONObject([
            ("name", ["type": "string", "minLength": 1, "maxLength": JSON(Kernel.maxEntityNameLength)]),
            ("workflow", ["type": "string", "description": "Workflow id or name"]),
            ("version", ["type": ["integer", "null"], "minimum": 1, "description": "Pin a workflow version (default: the latest at each delivery)"]),
            ("secret", secretSchema),
            ("mapping", ["type": ["object", "null"], "description": "input name → source: body[.path], headers.<name>, query.<name>"]),
            ("rate_limit_per_minute", ["type": "integer", "minimum": 1, "maximum": JSON(WebhookLimits.maxRequestsPerMinute)]),
        ])
        let createProps = properties
        dispatcher.register("webhook.create", summary: "Creates a webhook: POST /hooks/{id} starts a run of the workflow. Returns {id, url, …}.",
                            params: .object(JSONObject([("type", "object"), ("required", ["name", "workflow"]),
                                                        ("properties", .object(createProps)), ("additionalProperties", false)]))) { [unowned self] p, ctx in
            try await self.createWebhook(p, ctx)
        }
        dispatcher.register("webhook.get", summary: "One webhook (never its secret).", params: idOnly) { [unowned self] p, _ in
            try await self.requireTriggerStore().webhook(try p.string("id")).json
        }
        dispatcher.register("webhook.list", summary: "Webhooks, newest first, with cursor pagination.",
                            params: Kernel.pageParams) { [unowned self] p, _ in
            let page = try await self.requireTriggerStore().listWebhooks(limit: try p.optionalInt("limit", in: 1...StoreLimits.maxPageSize),
                                                                         cursor: try p.optionalString("cursor"))
            return ["items": .array(page.items.map(\.json)), "next_cursor": JSON(page.nextCursor)]
        }
        var updateProps = properties
        updateProps["id"] = ["type": "string"]
        dispatcher.register("webhook.update", summary: "Changes a webhook; `secret: null` clears the secret, `version: null` unpins.",
                            params: .object(JSONObject([("type", "object"), ("required", ["id"]), ("properties", .object(updateProps)),
                                                        ("additionalProperties", false)]))) { [unowned self] p, ctx in
            try await self.updateWebhook(p, ctx)
        }
        dispatcher.register("webhook.delete", summary: "Deletes a webhook (its URL answers 404 from then on).", params: idOnly) { [unowned self] p, ctx in
            let store = try self.requireTriggerStore()
            let h = try await store.webhook(try p.string("id"))
            try await store.deleteWebhook(id: h.id, audit: self.auditEntry(ctx, action: "webhook.delete", entityType: "webhook", entityID: h.id, details: ["name": .string(h.name)]))
            self.triggers.webhookLimiter.forget(h.id)
            return ["id": .string(h.id), "deleted": true]
        }
    }

    static let webhookKeys: Set<String> = ["id", "name", "workflow", "version", "secret", "mapping", "rate_limit_per_minute"]

    /// Field errors common to create and update.
    private func webhookFieldErrors(_ p: Params) -> [FieldError] {
        var errors: [FieldError] = []
        for (key, _) in p.json.objectValue ?? JSONObject() where !Kernel.webhookKeys.contains(key) {
            errors.append(FieldError(key, "unknown field"))
        }
        errors += Kernel.triggerNameErrors(p)
        if let v = p.json["version"], !v.isNull, (v.intValue ?? 0) < 1 { errors.append(FieldError("version", "must be an integer ≥ 1")) }
        if let r = p.json["rate_limit_per_minute"], !r.isNull {
            if let i = r.intValue, (1...Int64(WebhookLimits.maxRequestsPerMinute)).contains(i) {} else {
                errors.append(FieldError("rate_limit_per_minute", "must be an integer between 1 and \(WebhookLimits.maxRequestsPerMinute) (WebhookLimits.maxRequestsPerMinute)"))
            }
        }
        if let s = p.json["secret"], !s.isNull, (s.stringValue ?? "").isEmpty { errors.append(FieldError("secret", "must be a non-empty string")) }
        if let m = p.json["mapping"] { errors += WebhookMapping.validate(m) }
        return errors
    }

    /// The workflow (and pinned version, which must exist) a hook points at.
    private func webhookTarget(_ workflow: String, version: Int?) async throws -> Workflow {
        try await triggerTarget(workflow, version: version, kind: "webhook")
    }

    func createWebhook(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors = webhookFieldErrors(p)
        if p.value("name") == nil { errors.append(FieldError("name", "is required")) }
        if p.value("workflow")?.stringValue == nil { errors.append(FieldError("workflow", p.value("workflow") == nil ? "is required" : "must be a string")) }
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid webhook", errors: errors) }
        let version = try p.optionalInt("version")
        let w = try await webhookTarget(try p.string("workflow"), version: version)
        let now = Timestamp.now()
        let hook = Webhook(id: Identifier.uuid(), name: try p.string("name").trimmingCharacters(), workflowID: w.id, workflowVersion: version,
                           mapping: p.value("mapping") ?? .null,
                           rateLimitPerMinute: try p.optionalInt("rate_limit_per_minute") ?? WebhookLimits.defaultRequestsPerMinute,
                           createdAt: now, updatedAt: now)
        let secret = try p.optionalString("secret")
        var details = JSONObject([("name", .string(hook.name)), ("workflow_id", .string(w.id))])
        if secret != nil { details["secret"] = "set" }
        let created = try await requireTriggerStore().createWebhook(hook, secret: secret,
                                                                    audit: self.auditEntry(ctx, action: "webhook.create", entityType: "webhook", entityID: hook.id, details: .object(details)))
        return created.json
    }

    func updateWebhook(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        let errors = webhookFieldErrors(p)
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid webhook", errors: errors) }
        let store = try requireTriggerStore()
        let current = try await store.webhook(try p.string("id"))
        var changes = WebhookChanges(updatedAt: .now())
        var details = JSONObject()
        if let n = try p.optionalString("name") { changes.name = n.trimmingCharacters(); details["name"] = .string(n) }
        let versionGiven = p.json["version"] != nil
        let version = try p.optionalInt("version")
        if let wf = try p.optionalString("workflow") {
            let w = try await webhookTarget(wf, version: versionGiven ? version : current.workflowVersion)
            changes.workflowID = w.id
            details["workflow_id"] = .string(w.id)
        } else if versionGiven {
            _ = try await webhookTarget(current.workflowID, version: version)
        }
        if versionGiven { changes.workflowVersion = .some(version); details["version"] = version.map { .int(Int64($0)) } ?? .null }
        if let m = p.json["mapping"] { changes.mapping = m; details["mapping"] = "changed" }
        if let r = try p.optionalInt("rate_limit_per_minute") { changes.rateLimitPerMinute = r; details["rate_limit_per_minute"] = JSON(r) }
        switch p.json["secret"] {
        case nil: break
        case .null?: changes.secret = .clear; details["secret"] = "cleared"
        case let v?: changes.secret = .set(v.stringValue ?? ""); details["secret"] = "set"
        }
        let updated = try await store.updateWebhook(id: current.id, changes: changes,
                                                    audit: self.auditEntry(ctx, action: "webhook.update", entityType: "webhook", entityID: current.id, details: .object(details)))
        return updated.json
    }
}
