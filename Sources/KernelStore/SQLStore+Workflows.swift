import KernelCore
import KernelLoop

extension SQLStore {
    static let workflowColumns = "id, name, description, latest_version, definition, created_at, updated_at"
    static let workflowVersionColumns = "workflow_id, version, definition, checksum, created_at"

    nonisolated static func workflowRow(_ r: SQLRow) throws -> Workflow {
        Workflow(id: r.string(0), name: r.string(1), description: r.string(2), latestVersion: Int(r.int(3)),
                 definition: try r.json(4), createdAt: r.time(5), updatedAt: r.time(6))
    }

    nonisolated static func workflowVersionRow(_ r: SQLRow) throws -> WorkflowVersion {
        WorkflowVersion(workflowID: r.string(0), version: Int(r.int(1)), definition: try r.json(2), checksum: r.string(3),
                        createdAt: r.time(4))
    }

    /// The component references of a definition: `steps[*].component` (id or name).
    static func componentReferences(_ definition: JSON) -> [String] {
        guard let steps = definition["steps"]?.arrayValue else { return [] }
        var seen: [String] = []
        for step in steps {
            if let ref = step["component"]?.stringValue, !seen.contains(ref) { seen.append(ref) }
        }
        return seen
    }

    /// Rewrites the workflow's rows in `workflow_components` (resolving names to ids).
    func recordReferences(workflowID: EntityID, definition: JSON, _ tx: SQLExecutor) async throws {
        try await tx.execute("DELETE FROM workflow_components WHERE workflow_id = ?", [.text(workflowID)])
        var ids: [String] = []
        for ref in SQLStore.componentReferences(definition) {
            let rows = try await tx.query("SELECT id FROM components WHERE id = ? OR lower(name) = lower(?)", [.text(ref), .text(ref)])
            let found = rows.map { $0.string(0) }
            if let id = found.first(where: { $0 == ref }) ?? found.first, !ids.contains(id) { ids.append(id) }
        }
        for id in ids {
            try await tx.execute("INSERT INTO workflow_components (workflow_id, component_id) VALUES (?, ?)", [.text(workflowID), .text(id)])
        }
    }

    func insertWorkflowVersion(_ v: WorkflowVersion, _ tx: SQLExecutor) async throws {
        try await tx.execute("INSERT INTO workflow_versions (\(SQLStore.workflowVersionColumns)) VALUES (?, ?, ?, ?, ?)",
                             [.text(v.workflowID), .int(Int64(v.version)), .json(v.definition), .text(v.checksum), .time(v.createdAt)])
    }

    public func createWorkflow(_ workflow: Workflow, audit: ActionLog) async throws -> (Workflow, WorkflowVersion) {
        var w = workflow
        w.latestVersion = 1
        let v = WorkflowVersion(workflowID: w.id, version: 1, definition: w.definition, checksum: w.definition.contentChecksum,
                                createdAt: w.createdAt)
        try await database.write { tx in
            try await self.ensureUniqueName(table: "workflows", kind: "workflow", name: w.name, except: nil, tx)
            try await tx.execute("INSERT INTO workflows (\(SQLStore.workflowColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [.text(w.id), .text(w.name), .text(w.description), .int(1), .json(w.definition),
                                  .time(w.createdAt), .time(w.updatedAt)])
            try await self.insertWorkflowVersion(v, tx)
            try await self.recordReferences(workflowID: w.id, definition: w.definition, tx)
            try await self.insertAudit(audit, tx)
        }
        return (w, v)
    }

    public func updateWorkflow(id: EntityID, changes: WorkflowChanges, audit: ActionLog) async throws -> WorkflowUpdate {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.workflowColumns) FROM workflows WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("workflow \(id) not found")
            }
            var w = try SQLStore.workflowRow(row)
            if let name = changes.name, name != w.name {
                try await self.ensureUniqueName(table: "workflows", kind: "workflow", name: name, except: id, tx)
                w.name = name
            }
            if let d = changes.description { w.description = d }
            var appended: WorkflowVersion?
            if let def = changes.definition {
                let sum = def.contentChecksum
                let latest = try await tx.first("SELECT checksum FROM workflow_versions WHERE workflow_id = ? AND version = ?",
                                                 [.text(id), .int(Int64(w.latestVersion))])
                if latest?.string(0) != sum {
                    let v = WorkflowVersion(workflowID: id, version: w.latestVersion + 1, definition: def, checksum: sum,
                                            createdAt: changes.updatedAt)
                    try await self.insertWorkflowVersion(v, tx)
                    w.latestVersion = v.version
                    w.definition = def
                    appended = v
                    try await self.recordReferences(workflowID: id, definition: def, tx)
                }
            }
            w.updatedAt = changes.updatedAt
            try await tx.execute(
                "UPDATE workflows SET name = ?, description = ?, latest_version = ?, definition = ?, updated_at = ? WHERE id = ?",
                [.text(w.name), .text(w.description), .int(Int64(w.latestVersion)), .json(w.definition), .time(w.updatedAt), .text(id)])
            try await self.insertAudit(audit, tx)
            return WorkflowUpdate(workflow: w, appendedVersion: appended)
        }
    }

    /// The workflows table as a versioned entity.
    static let workflowTable = VersionedTable<Workflow, WorkflowVersion>(
        noun: "workflow", table: "workflows", columns: workflowColumns, versionTable: "workflow_versions",
        versionColumns: workflowVersionColumns, id: \.id, entityRow: workflowRow, versionRow: workflowVersionRow)

    public func workflow(_ idOrName: String) async throws -> Workflow {
        try await entity(idOrName, in: SQLStore.workflowTable)
    }

    public func workflowVersion(_ id: EntityID, version: Int?) async throws -> WorkflowVersion {
        try await entityVersion(id, version: version, in: SQLStore.workflowTable)
    }

    public func workflowVersions(_ id: EntityID) async throws -> [WorkflowVersion] {
        try await entityVersions(id, in: SQLStore.workflowTable)
    }

    public func listWorkflows(_ query: WorkflowQuery) async throws -> Page<Workflow> {
        var clauses: [String] = []
        var params: [SQLValue] = []
        if let q = query.q, !q.isEmpty { SQLStore.addNameOrDescriptionMatch(q, to: &clauses, &params) }
        return try await page("workflows", columns: SQLStore.workflowColumns, where: clauses, params, cursor: query.cursor,
                              limit: query.limit, row: SQLStore.workflowRow, key: { ($0.createdAt, $0.id) })
    }

    public func deleteWorkflow(id: EntityID, audit: ActionLog) async throws {
        try await deleteRow("workflows", noun: "workflow", id: id, audit: audit)
    }
}
