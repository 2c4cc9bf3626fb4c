import KernelCore
import KernelLoop
import KernelStore

extension Kernel {
    /// `audit.list {entity_type?, entity_id?, action_type?, limit?, before?}`, newest first.
    func registerAuditMethods() {
        dispatcher.register("audit.list", summary: "Audit entries, newest first; `before` is the id of an entry (next page).",
                            params: ["type": "object", "properties": [
                                "entity_type": ["type": "string"], "entity_id": ["type": "string"], "action_type": ["type": "string"],
                                "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxAuditPage)],
                                "before": ["type": "string"]]]) { [unowned self] params, _ in
            let limit = try params.optionalInt("limit", in: 1...StoreLimits.maxAuditPage) ?? StoreLimits.defaultPageSize
            let items = try await self.requireStore().listAudit(AuditQuery(
                entityType: try params.optionalString("entity_type"), entityID: try params.optionalString("entity_id"),
                actionType: try params.optionalString("action_type"), limit: limit, before: try params.optionalString("before")))
            var o = JSONObject()
            o["items"] = .array(items.map(\.json))
            o["next_before"] = items.count == limit ? JSON(items.last?.id) : .null
            return .object(o)
        }
    }
}
