import KernelCore
import KernelStore

/// One item of `secret.list` / `var.list` (fields: `MethodReplies.workspaceValue`). A secret's
/// value is write-only: listed as "set".
extension WorkspaceValue {
    var reply: JSON {
        var o = JSONObject([("name", .string(name))])
        if let value { o["value"] = .string(value) } else { o["value"] = "set" }
        o["created_at"] = createdAt.json
        o["updated_at"] = updatedAt.json
        return .object(o)
    }
}
