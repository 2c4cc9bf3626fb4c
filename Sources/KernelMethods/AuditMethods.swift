import KernelCore
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// `audit.list {entity_type?, entity_id?, action_type?, limit?, cursor?}`, newest first: `{items, next_cursor}`.
    func registerAuditMethods() {
        dispatcher.register("audit.list", summary: "Audit entries, newest first, with cursor pagination (`cursor`: a page's `next_cursor`).",
                            params: ["type": "object", "properties": [
                                "entity_type": ["type": "string"], "entity_id": ["type": "string"], "action_type": ["type": "string"],
                                "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxAuditPage)],
                                "cursor": ["type": "string", "description": "next_cursor of the previous page"]],
                                     "additionalProperties": false]) { [unowned self] params, _ in
            let limit = try params.optionalInt("limit") ?? StoreLimits.defaultPageSize  // 1…maxAuditPage: the params schema
            let items = try await self.requireStore().listAudit(AuditQuery(
                entityType: try params.optionalString("entity_type"), entityID: try params.optionalString("entity_id"),
                actionType: try params.optionalString("action_type"), limit: limit, before: try params.optionalString("cursor")))
            var o = JSONObject()
            o["items"] = .array(items.map(\.json))
            o["next_cursor"] = items.count == limit ? JSON(items.last?.id) : .null
            return .object(o)
        }
    }
}
