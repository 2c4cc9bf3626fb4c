import KernelCore
import KernelLoop

extension SQLStore: WorkspaceValueStore {
    /// A sealed workspace secret's associated data: it cannot move to another name.
    static func workspaceSecretContext(_ name: String) -> String { "workspace-secret:" + name }

    public func setWorkspaceValue(_ kind: WorkspaceValueKind, name: String, value: String, at: Timestamp, audit: ActionLog) async throws -> Bool {
        let stored = kind == .secret ? secrets.seal(value, context: SQLStore.workspaceSecretContext(name)) : value
        return try await database.write { tx in
            let existed = try await tx.first("SELECT name FROM \(kind.table) WHERE name = ?\(self.forUpdate)", [.text(name)]) != nil
            try await tx.execute(
                """
                INSERT INTO \(kind.table) (name, \(kind.valueColumn), created_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET \(kind.valueColumn) = excluded.\(kind.valueColumn), updated_at = excluded.updated_at
                """, [.text(name), .text(stored), .time(at), .time(at)])
            try await self.insertAudit(audit, tx)
            return existed
        }
    }

    public func listWorkspaceValues(_ kind: WorkspaceValueKind) async throws -> [WorkspaceValue] {
        let valueSQL = kind == .secret ? "NULL" : kind.valueColumn
        return try await database.read { db in
            try await db.query("SELECT name, \(valueSQL), created_at, updated_at FROM \(kind.table) ORDER BY name", []).map {
                WorkspaceValue(name: $0.string(0), value: $0.optionalString(1), createdAt: $0.time(2), updatedAt: $0.time(3))
            }
        }
    }

    public func deleteWorkspaceValue(_ kind: WorkspaceValueKind, name: String, audit: ActionLog) async throws {
        try await database.write { tx in
            guard try await tx.first("SELECT name FROM \(kind.table) WHERE name = ?\(self.forUpdate)", [.text(name)]) != nil else {
                throw KernelError.notFound("\(kind.noun) \(name) not found")
            }
            try await tx.execute("DELETE FROM \(kind.table) WHERE name = ?", [.text(name)])
            try await self.insertAudit(audit, tx)
        }
    }

    public func unsealWorkspaceSecrets(_ names: [String]) async throws -> [String: String] {
        let sealed = try await values(.secret, names)
        var out: [String: String] = [:]
        for (name, s) in sealed { out[name] = try secrets.unseal(s, context: SQLStore.workspaceSecretContext(name)) }
        return out
    }

    public func workspaceVariables(_ names: [String]) async throws -> [String: String] {
        try await values(.variable, names)
    }

    private func values(_ kind: WorkspaceValueKind, _ names: [String]) async throws -> [String: String] {
        let unique = Array(Set(names)).sorted()
        guard !unique.isEmpty else { return [:] }
        return try await database.read { db in
            let marks = Array(repeating: "?", count: unique.count).joined(separator: ", ")
            var out: [String: String] = [:]
            for row in try await db.query("SELECT name, \(kind.valueColumn) FROM \(kind.table) WHERE name IN (\(marks))", unique.map { .text($0) }) {
                out[row.string(0)] = row.string(1)
            }
            return out
        }
    }
}
