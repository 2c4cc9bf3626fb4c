import KernelCore
import KernelLoop

extension SQLStore {
    static let connectionColumns = "id, name, plugin, config, read_only, secret_sealed IS NOT NULL, created_at, updated_at"

    static func connectionRow(_ r: SQLRow) throws -> Connection {
        Connection(id: r.string(0), name: r.string(1), plugin: r.string(2), config: try r.json(3), readOnly: r.bool(4),
                   hasSecret: SQLStore.truthy(r, 5), createdAt: r.time(6), updatedAt: r.time(7))
    }

    /// Booleans computed in SQL come back as 1/0 (SQLite) or t/f (PostgreSQL).
    static func truthy(_ r: SQLRow, _ i: Int) -> Bool {
        switch r.optionalString(i) {
        case "t", "true", "1": return true
        default: return false
        }
    }

    public func createConnection(_ connection: Connection, secret: String?, audit: ActionLog) async throws -> Connection {
        var c = connection
        c.hasSecret = secret != nil
        let sealed = secret.map { secrets.seal($0, context: c.id) }
        try await database.write { tx in
            try await self.ensureUniqueName(table: "connections", kind: "connection", name: c.name, except: nil, tx)
            try await tx.execute(
                "INSERT INTO connections (id, name, plugin, config, read_only, secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(c.id), .text(c.name), .text(c.plugin), .json(c.config), .bool(c.readOnly), .optionalText(sealed),
                 .time(c.createdAt), .time(c.updatedAt)])
            try await self.insertAudit(audit, tx)
        }
        return c
    }

    public func updateConnection(id: EntityID, changes: ConnectionChanges, audit: ActionLog) async throws -> Connection {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.connectionColumns) FROM connections WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("connection \(id) not found")
            }
            var c = try SQLStore.connectionRow(row)
            if let name = changes.name, name != c.name {
                try await self.ensureUniqueName(table: "connections", kind: "connection", name: name, except: id, tx)
                c.name = name
            }
            if let p = changes.plugin { c.plugin = p }
            if let cfg = changes.config { c.config = cfg }
            if let ro = changes.readOnly { c.readOnly = ro }
            c.updatedAt = changes.updatedAt
            try await tx.execute("UPDATE connections SET name = ?, plugin = ?, config = ?, read_only = ?, updated_at = ? WHERE id = ?",
                                 [.text(c.name), .text(c.plugin), .json(c.config), .bool(c.readOnly), .time(c.updatedAt), .text(id)])
            switch changes.secret {
            case .keep: break
            case .set(let s):
                try await tx.execute("UPDATE connections SET secret_sealed = ? WHERE id = ?", [.text(self.secrets.seal(s, context: id)), .text(id)])
                c.hasSecret = true
            case .clear:
                try await tx.execute("UPDATE connections SET secret_sealed = NULL WHERE id = ?", [.text(id)])
                c.hasSecret = false
            }
            try await self.insertAudit(audit, tx)
            return c
        }
    }

    public func connection(_ idOrName: String) async throws -> Connection {
        try await database.read { db in
            var rows = try await db.query("SELECT \(SQLStore.connectionColumns) FROM connections WHERE id = ? OR lower(name) = lower(?)",
                                          [.text(idOrName), .text(idOrName)])
            if rows.isEmpty, let id = try await self.idWithPrefix(idOrName, table: "connections", noun: "connection", db) {
                rows = try await db.query("SELECT \(SQLStore.connectionColumns) FROM connections WHERE id = ?", [.text(id)])
            }
            let all = try rows.map(SQLStore.connectionRow)
            guard let c = all.first(where: { $0.id == idOrName }) ?? all.first else {
                throw KernelError.notFound("connection \(idOrName) not found")
            }
            return c
        }
    }

    public func listConnections() async throws -> [Connection] {
        try await database.read { db in
            try await db.query("SELECT \(SQLStore.connectionColumns) FROM connections ORDER BY lower(name)").map(SQLStore.connectionRow)
        }
    }

    public func deleteConnection(id: EntityID, audit: ActionLog) async throws {
        try await deleteRow("connections", noun: "connection", id: id, audit: audit)
    }

    public func unsealSecret(connectionID: EntityID) async throws -> String? {
        let sealed: String? = try await database.read { db in
            guard let row = try await db.first("SELECT secret_sealed FROM connections WHERE id = ?", [.text(connectionID)]) else {
                throw KernelError.notFound("connection \(connectionID) not found")
            }
            return row.optionalString(0)
        }
        guard let sealed else { return nil }
        return try secrets.unseal(sealed, context: connectionID)
    }
}
