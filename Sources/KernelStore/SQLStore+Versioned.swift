import KernelCore

/// Lookups shared by the two versioned entities (components and workflows): each has a
/// table with `id` and a case-insensitively unique `name`, and an append-only
/// `<noun>_versions` table keyed by `(<noun>_id, version)`.
extension SQLStore {
    /// The versioned entity `noun` ("component", "workflow") and how its rows decode.
    struct VersionedTable<Entity, Version> {
        let noun: String
        let table: String
        let columns: String
        let versionTable: String
        let versionColumns: String
        let id: (Entity) -> EntityID
        let entityRow: (SQLRow) throws -> Entity
        let versionRow: (SQLRow) throws -> Version
    }

    /// By id or by name ignoring case; an id match wins over a name match; else by a unique
    /// id prefix (`ShortID`).
    func entity<E, V>(_ idOrName: String, in t: VersionedTable<E, V>) async throws -> E {
        try await database.read { db in
            var rows = try await db.query(
                "SELECT \(t.columns) FROM \(t.table) WHERE id = ? OR lower(name) = lower(?)", [.text(idOrName), .text(idOrName)])
            if rows.isEmpty, let id = try await self.idWithPrefix(idOrName, table: t.table, noun: t.noun, db) {
                rows = try await db.query("SELECT \(t.columns) FROM \(t.table) WHERE id = ?", [.text(id)])
            }
            let all = try rows.map(t.entityRow)
            guard let e = all.first(where: { t.id($0) == idOrName }) ?? all.first else {
                throw KernelError.notFound("\(t.noun) \(idOrName) not found")
            }
            return e
        }
    }

    /// One version, or the latest when `version` is nil.
    func entityVersion<E, V>(_ id: EntityID, version: Int?, in t: VersionedTable<E, V>) async throws -> V {
        try await database.read { db in
            let row: SQLRow?
            if let version {
                row = try await db.first("SELECT \(t.versionColumns) FROM \(t.versionTable) WHERE \(t.noun)_id = ? AND version = ?",
                                         [.text(id), .int(Int64(version))])
            } else {
                row = try await db.first("SELECT \(t.versionColumns) FROM \(t.versionTable) WHERE \(t.noun)_id = ? ORDER BY version DESC LIMIT 1",
                                         [.text(id)])
            }
            guard let row else {
                throw KernelError.notFound(version.map { "\(t.noun) \(id) has no version \($0)" } ?? "\(t.noun) \(id) not found")
            }
            return try t.versionRow(row)
        }
    }

    /// Every version in order; `not_found` when there is none.
    func entityVersions<E, V>(_ id: EntityID, in t: VersionedTable<E, V>) async throws -> [V] {
        try await database.read { db in
            let rows = try await db.query("SELECT \(t.versionColumns) FROM \(t.versionTable) WHERE \(t.noun)_id = ? ORDER BY version", [.text(id)])
            if rows.isEmpty { throw KernelError.notFound("\(t.noun) \(id) not found") }
            return try rows.map(t.versionRow)
        }
    }
}
