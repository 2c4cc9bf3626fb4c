import KernelCore

/// What the list and delete operations of the entity tables share: one page shape (newest
/// first by `(created_at, id)`, the cursor of the last row when more follow) and one delete
/// (lock the row, remove what points at it, the row, the audit entry, in one transaction).
extension SQLStore {
    /// One page of `table`, newest first: the rows that match `clauses` (bound to `params`),
    /// after `cursor` (`Cursor`), `limit` at the most (clamped to `StoreLimits`). `row` decodes
    /// the selected `columns`; `key` is a decoded row's `(created_at, id)`, the next cursor.
    func page<Item: Sendable>(_ table: String, columns: String, where clauses: [String] = [], _ params: [SQLValue] = [],
                              cursor: String?, limit: Int?, row: (SQLRow) throws -> Item,
                              key: (Item) -> (createdAt: Timestamp, id: EntityID)) async throws -> Page<Item> {
        let limit = StoreLimits.clamp(limit, default: StoreLimits.defaultPageSize, max: StoreLimits.maxPageSize)
        var clauses = clauses, params = params
        try addCursor(cursor, to: &clauses, &params)
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        params.append(.int(Int64(limit + 1)))
        let rows = try await database.read { [params] db in
            try await db.query("SELECT \(columns) FROM \(table)\(whereSQL) ORDER BY created_at DESC, id DESC LIMIT ?", params)
        }
        var items = try rows.map(row)
        var next: String?
        if items.count > limit {
            items.removeLast(items.count - limit)
            if let last = items.last {
                let k = key(last)
                next = Cursor.encode(k.createdAt, k.id)
            }
        }
        return Page(items: items, nextCursor: next)
    }

    /// The list filter `q` of the named entities: a case-insensitive substring of the name or description.
    static func addNameOrDescriptionMatch(_ q: String, to clauses: inout [String], _ params: inout [SQLValue]) {
        clauses.append("(lower(name) LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\')")
        let p = Cursor.likePattern(q)
        params += [.text(p), .text(p)]
    }

    /// Deletes row `id` of `table` (`not_found` naming `noun` when there is none), first the
    /// rows of `dependents` whose `column` holds `id`, and records `audit`, in one transaction.
    func deleteRow(_ table: String, noun: String, id: EntityID, dependents: [(table: String, column: String)] = [],
                   audit: ActionLog) async throws {
        try await database.write { tx in
            guard try await tx.first("SELECT id FROM \(table) WHERE id = ?\(self.forUpdate)", [.text(id)]) != nil else {
                throw KernelError.notFound("\(noun) \(id) not found")
            }
            for d in dependents { try await tx.execute("DELETE FROM \(d.table) WHERE \(d.column) = ?", [.text(id)]) }
            try await tx.execute("DELETE FROM \(table) WHERE id = ?", [.text(id)])
            try await self.insertAudit(audit, tx)
        }
    }
}
