import KernelCore
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// Longest connection name.
    public static let maxConnectionNameLength = 200

    /// `connection.create|get|list|update|delete`. Secrets are sealed by the
    /// store and never returned or audited (`"secret": "set"`); test/scan/query
    /// belong to the plugin layer.
    func registerConnectionMethods() {
        let secretSchema: JSON = ["description": "password or key JSON; sealed at rest, never returned (null on update clears it)",
                                  "type": ["string", "object", "null"]]
        dispatcher.register("connection.create", summary: "Creates an external database connection; its secret is sealed at rest.",
                            params: ["type": "object", "required": ["name", "plugin"], "properties": [
                                "name": ["type": "string"], "plugin": ["type": "string"], "config": ["type": "object"],
                                "read_only": ["type": "boolean"], "secret": secretSchema]]) { [unowned self] params, ctx in
            let store = try self.requireStore()
            let name = try Kernel.connectionName(try params.string("name"), path: "name")
            let plugin = try params.string("plugin")
            guard !plugin.isEmpty else { throw KernelError.invalidParams("invalid params", errors: [FieldError("plugin", "must not be empty")]) }
            let config = try params.optionalObject("config").map { JSON.object($0) } ?? [:]
            try self.checkConnectionConfig(plugin: plugin, config: config)
            let secret = try Kernel.secretValue(params.json["secret"])
            let now = Timestamp.now()
            let c = Connection(id: Identifier.uuid(), name: name, plugin: plugin, config: config,
                               readOnly: try params.optionalBool("read_only") ?? false, createdAt: now, updatedAt: now)
            var details: JSON = ["name": .string(name), "plugin": .string(plugin)]
            if secret != nil, case .object(var o) = details { o["secret"] = "set"; details = .object(o) }
            let created = try await store.createConnection(c, secret: secret,
                                                           audit: self.auditEntry(ctx, action: "connection.create", entityType: "connection", entityID: c.id, details: details))
            return created.json
        }
        dispatcher.register("connection.get", summary: "One connection by id or name (never its secret).",
                            params: ["type": "object", "required": ["id"], "properties": ["id": ["type": "string"]]]) { [unowned self] params, _ in
            try await self.requireStore().connection(try params.string("id")).json
        }
        dispatcher.register("connection.list", summary: "Every connection, by name.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            let items = try await self.requireStore().listConnections()
            return ["items": .array(items.map(\.json)), "next_cursor": .null]
        }
        dispatcher.register("connection.update", summary: "Changes a connection; `secret: null` clears the secret.",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"], "name": ["type": "string"], "plugin": ["type": "string"],
                                "config": ["type": "object"], "read_only": ["type": "boolean"], "secret": secretSchema]]) { [unowned self] params, ctx in
            let store = try self.requireStore()
            let existing = try await store.connection(try params.string("id"))
            var changes = ConnectionChanges()
            var details = JSONObject()
            if let n = try params.optionalString("name") {
                changes.name = try Kernel.connectionName(n, path: "name")
                details["name"] = .string(n)
            }
            if let p = try params.optionalString("plugin") { changes.plugin = p; details["plugin"] = .string(p) }
            if let cfg = try params.optionalObject("config") { changes.config = .object(cfg); details["config"] = "changed" }
            if let ro = try params.optionalBool("read_only") { changes.readOnly = ro; details["read_only"] = .bool(ro) }
            if changes.plugin != nil || changes.config != nil {
                try self.checkConnectionConfig(plugin: changes.plugin ?? existing.plugin, config: changes.config ?? existing.config)
            }
            switch params.json["secret"] {
            case nil: break
            case .null?: changes.secret = .clear; details["secret"] = "cleared"
            case let v?:
                if let s = try Kernel.secretValue(v) { changes.secret = .set(s); details["secret"] = "set" }
            }
            let updated = try await store.updateConnection(id: existing.id, changes: changes,
                                                           audit: self.auditEntry(ctx, action: "connection.update", entityType: "connection",
                                                                                  entityID: existing.id, details: .object(details)))
            self.connectionRuntime?.retire(existing.id)  // the next statement opens with the new settings
            return updated.json
        }
        dispatcher.register("connection.delete", summary: "Deletes a connection and its sealed secret.",
                            params: ["type": "object", "required": ["id"], "properties": ["id": ["type": "string"]]]) { [unowned self] params, ctx in
            let store = try self.requireStore()
            let existing = try await store.connection(try params.string("id"))
            try await store.deleteConnection(id: existing.id, audit: self.auditEntry(ctx, action: "connection.delete", entityType: "connection",
                                                                                  entityID: existing.id, details: ["name": .string(existing.name)]))
            self.connectionRuntime?.retire(existing.id)
            return ["deleted": true, "id": .string(existing.id)]
        }
    }

    static func connectionName(_ name: String, path: String) throws -> String {
        let trimmed = name.trimmingCharacters()
        guard !trimmed.isEmpty else { throw KernelError.invalidParams("invalid params", errors: [FieldError(path, "must not be empty")]) }
        guard trimmed.count <= maxConnectionNameLength else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError(path, "must be at most \(maxConnectionNameLength) characters")])
        }
        return trimmed
    }

    /// A secret given as a string, or as JSON (a key file) serialised compactly.
    static func secretValue(_ v: JSON?) throws -> String? {
        switch v {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .object?: return v?.serialized()
        default: throw KernelError.invalidParams("invalid params", errors: [FieldError("secret", "must be a string or an object")])
        }
    }
}
