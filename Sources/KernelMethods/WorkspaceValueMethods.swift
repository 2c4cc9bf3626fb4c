import KernelCore
import KernelServices
import KernelStore

/// `secret.set|list|delete` and `var.set|list|delete` (issue 17): workspace secrets (sealed,
/// write-only: no call returns a value) and plain variables, read by runs as `${secrets.NAME}`
/// and `${vars.NAME}`. Audit entries name the entry, never a secret's value.
extension Kernel {
    /// Longest secret or variable value, in UTF-8 bytes.
    static let maxWorkspaceValueBytes = 64 * 1024

    func requireWorkspaceValueStore() throws -> any WorkspaceValueStore {
        guard let s = try requireStore() as? any WorkspaceValueStore else {
            throw KernelError.unavailable("this store keeps no secrets or variables")
        }
        return s
    }

    func registerWorkspaceValueMethods() {
        for kind in WorkspaceValueKind.allCases {
            let prefix = kind == .secret ? "secret" : "var"
            let reference = kind == .secret ? "${secrets.NAME}" : "${vars.NAME}"
            let name: JSON = ["type": "string", "minLength": 1, "maxLength": JSON(Reference.maxValueNameLength),
                              "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$", "description": .string("Name, as in \(reference).")]
            dispatcher.register("\(prefix).set", summary: kind == .secret
                                    ? "Creates or replaces a workspace secret (sealed at rest; the value is never returned)."
                                    : "Creates or replaces a workspace variable.",
                                params: ["type": "object", "required": ["name", "value"], "additionalProperties": false, "properties": [
                                    "name": name, "value": ["type": "string", "maxLength": JSON(Kernel.maxWorkspaceValueBytes)]]]) { [unowned self] p, ctx in
                let n = try Kernel.workspaceValueName(p)
                let value = try p.string("value")
                guard value.utf8.count <= Kernel.maxWorkspaceValueBytes else {
                    throw KernelError.invalidParams("value too large", errors: [FieldError("value", "at most \(Kernel.maxWorkspaceValueBytes) bytes (Kernel.maxWorkspaceValueBytes; got \(value.utf8.count))")])
                }
                let existed = try await self.requireWorkspaceValueStore().setWorkspaceValue(
                    kind, name: n, value: value, at: .now(),
                    audit: self.auditEntry(ctx, action: "\(prefix).set", entityType: kind.noun, entityID: n, details: ["name": .string(n)]))
                var o = JSONObject([("name", .string(n)), ("created", .bool(!existed))])
                o["value"] = kind == .secret ? "set" : .string(value)
                return .object(o)
            }
            dispatcher.register("\(prefix).list", summary: kind == .secret
                                    ? "Workspace secrets by name (values are write-only: shown as \"set\")." : "Workspace variables with their values.",
                                params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, _ in
                let items = try await self.requireWorkspaceValueStore().listWorkspaceValues(kind)
                return ["items": .array(items.map(\.reply)), "next_cursor": .null]
            }
            dispatcher.register("\(prefix).delete", summary: "Deletes a workspace \(kind.noun).",
                                params: ["type": "object", "required": ["name"], "additionalProperties": false, "properties": ["name": name]]) { [unowned self] p, ctx in
                let n = try Kernel.workspaceValueName(p)
                try await self.requireWorkspaceValueStore().deleteWorkspaceValue(
                    kind, name: n, audit: self.auditEntry(ctx, action: "\(prefix).delete", entityType: kind.noun, entityID: n, details: ["name": .string(n)]))
                return ["name": .string(n), "deleted": true]
            }
        }
    }

    static func workspaceValueName(_ p: Params) throws -> String {
        let n = try p.string("name")
        guard Reference.isValidValueName(n) else {
            throw KernelError.invalidParams("invalid name", errors: [FieldError("name", "must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most \(Reference.maxValueNameLength) characters)")])
        }
        return n
    }
}
