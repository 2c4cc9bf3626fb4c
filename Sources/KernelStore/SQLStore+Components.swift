import KernelCore
import KernelLoop

extension SQLStore {
    static let componentColumns = "id, name, type, description, tags, owner, latest_version, created_at, updated_at"
    static let versionColumns = "component_id, version, type, config, checksum, created_at"

    static func componentRow(_ r: SQLRow) throws -> Component {
        let type = ComponentType(r.string(2))  // open: a type whose plugin is unloaded stays readable
        let tags = (try r.json(4)).arrayValue?.compactMap(\.stringValue) ?? []
        return Component(id: r.string(0), name: r.string(1), type: type, description: r.string(3), tags: tags, owner: r.string(5),
                         latestVersion: Int(r.int(6)), createdAt: r.time(7), updatedAt: r.time(8))
    }

    static func versionRow(_ r: SQLRow) throws -> ComponentVersion {
        let type = ComponentType(r.string(2))  // open: a type whose plugin is unloaded stays readable
        return ComponentVersion(componentID: r.string(0), version: Int(r.int(1)), type: type, config: try r.json(3),
                                checksum: r.string(4), createdAt: r.time(5))
    }

    func ensureUniqueName(table: String, kind: String, name: String, except id: String?, _ tx: SQLExecutor) async throws {
        if let row = try await tx.first("SELECT id FROM \(table) WHERE lower(name) = lower(?)", [.text(name)]), row.string(0) != id {
            throw KernelError.conflict("a \(kind) named '\(name)' already exists")
        }
    }

    public func createComponent(_ component: Component, config: JSON, audit: ActionLog) async throws -> (Component, ComponentVersion) {
        var c = component
        c.latestVersion = 1
        let version = ComponentVersion(componentID: c.id, version: 1, type: c.type, config: config,
                                       checksum: config.contentChecksum, createdAt: c.createdAt)
        try await database.write { tx in
            try await self.ensureUniqueName(table: "components", kind: "component", name: c.name, except: nil, tx)
            try await tx.execute(
                "INSERT INTO components (\(SQLStore.componentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(c.id), .text(c.name), .text(c.type.rawValue), .text(c.description), .json(JSON(c.tags)), .text(c.owner),
                 .int(1), .time(c.createdAt), .time(c.updatedAt)])
            try await self.insertVersion(version, tx)
            try await self.insertAudit(audit, tx)
        }
        return (c, version)
    }

    func insertVersion(_ v: ComponentVersion, _ tx: SQLExecutor) async throws {
        try await tx.execute("INSERT INTO component_versions (\(SQLStore.versionColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                             [.text(v.componentID), .int(Int64(v.version)), .text(v.type.rawValue), .json(v.config),
                              .text(v.checksum), .time(v.createdAt)])
    }

    public func updateComponent(id: EntityID, changes: ComponentChanges, audit: ActionLog) async throws -> ComponentUpdate {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.componentColumns) FROM components WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("component \(id) not found")
            }
            var c = try SQLStore.componentRow(row)
            if let name = changes.name, name != c.name {
                try await self.ensureUniqueName(table: "components", kind: "component", name: name, except: id, tx)
                c.name = name
            }
            if let d = changes.description { c.description = d }
            if let t = changes.tags { c.tags = t }
            if let o = changes.owner { c.owner = o }
            var appended: ComponentVersion?
            if let config = changes.config {
                let sum = config.contentChecksum
                let latest = try await tx.first("SELECT checksum FROM component_versions WHERE component_id = ? AND version = ?",
                                                 [.text(id), .int(Int64(c.latestVersion))])
                let newType = changes.type ?? c.type
                if latest?.string(0) != sum || newType != c.type {
                    let v = ComponentVersion(componentID: id, version: c.latestVersion + 1, type: newType, config: config,
                                             checksum: sum, createdAt: changes.updatedAt)
                    try await self.insertVersion(v, tx)
                    c.latestVersion = v.version
                    c.type = newType
                    appended = v
                }
            }
            c.updatedAt = changes.updatedAt
            try await tx.execute(
                "UPDATE components SET name = ?, type = ?, description = ?, tags = ?, owner = ?, latest_version = ?, updated_at = ? WHERE id = ?",
                [.text(c.name), .text(c.type.rawValue), .text(c.description), .json(JSON(c.tags)), .text(c.owner),
                 .int(Int64(c.latestVersion)), .time(c.updatedAt), .text(id)])
            try await self.insertAudit(audit, tx)
            return ComponentUpdate(component: c, appendedVersion: appended)
        }
    }

    /// The components table as a versioned entity.
    static let componentTable = VersionedTable<Component, ComponentVersion>(
        noun: "component", table: "components", columns: componentColumns, versionTable: "component_versions",
        versionColumns: versionColumns, id: \.id, entityRow: componentRow, versionRow: versionRow)

    public func component(_ idOrName: String) async throws -> Component {
        try await entity(idOrName, in: SQLStore.componentTable)
    }

    public func componentVersion(_ id: EntityID, version: Int?) async throws -> ComponentVersion {
        try await entityVersion(id, version: version, in: SQLStore.componentTable)
    }

    public func componentVersions(_ id: EntityID) async throws -> [ComponentVersion] {
        try await entityVersions(id, in: SQLStore.componentTable)
    }

    public func listComponents(_ query: ComponentQuery) async throws -> Page<Component> {
        var clauses: [String] = []
        var params: [SQLValue] = []
        if let t = query.type { clauses.append("type = ?"); params.append(.text(t.rawValue)) }
        if let tag = query.tag { clauses.append(dialect.jsonArrayContains("tags")); params.append(.text(tag)) }
        if let q = query.q, !q.isEmpty { SQLStore.addNameOrDescriptionMatch(q, to: &clauses, &params) }
        return try await page("components", columns: SQLStore.componentColumns, where: clauses, params, cursor: query.cursor,
                              limit: query.limit, row: SQLStore.componentRow, key: { ($0.createdAt, $0.id) })
    }

    public func deleteComponent(id: EntityID, force: Bool, audit: ActionLog) async throws {
        try await database.write { tx in
            guard try await tx.first("SELECT id FROM components WHERE id = ?\(self.forUpdate)", [.text(id)]) != nil else {
                throw KernelError.notFound("component \(id) not found")
            }
            let refs = try await tx.query(
                "SELECT w.name FROM workflow_components r JOIN workflows w ON w.id = r.workflow_id WHERE r.component_id = ? ORDER BY w.name",
                [.text(id)])
            if !refs.isEmpty {
                guard force else {
                    let names = refs.map { $0.string(0) }.joined(separator: ", ")
                    throw KernelError.conflict("component \(id) is referenced by workflow(s): \(names) (use force to delete anyway)")
                }
                try await tx.execute("DELETE FROM workflow_components WHERE component_id = ?", [.text(id)])
            }
            try await tx.execute("DELETE FROM components WHERE id = ?", [.text(id)])
            try await self.insertAudit(audit, tx)
        }
    }
}
