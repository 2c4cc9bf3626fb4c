import KernelCore
import KernelLoop

extension SQLStore: TriggerStore {
    static let webhookColumns = "id, name, workflow_id, workflow_version, mapping, secret_sealed IS NOT NULL, rate_limit_per_minute, created_at, updated_at"

    static func webhookRow(_ r: SQLRow) throws -> Webhook {
        Webhook(id: r.string(0), name: r.string(1), workflowID: r.string(2), workflowVersion: r.optionalInt(3).map { Int($0) },
                mapping: try r.json(4), hasSecret: SQLStore.truthy(r, 5), rateLimitPerMinute: Int(r.int(6)),
                createdAt: r.time(7), updatedAt: r.time(8))
    }

    /// The secret's associated data: the hook id (a sealed value cannot move to another row).
    static func webhookSecretContext(_ id: EntityID) -> String { "webhook:" + id }

    public func createWebhook(_ hook: Webhook, secret: String?, audit: ActionLog) async throws -> Webhook {
        var h = hook
        h.hasSecret = secret != nil
        let sealed = secret.map { secrets.seal($0, context: SQLStore.webhookSecretContext(h.id)) }
        try await database.write { tx in
            try await self.ensureUniqueName(table: "webhooks", kind: "webhook", name: h.name, except: nil, tx)
            try await tx.execute(
                """
                INSERT INTO webhooks (id, name, workflow_id, workflow_version, mapping, secret_sealed, rate_limit_per_minute, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(h.id), .text(h.name), .text(h.workflowID), .optionalInt(h.workflowVersion.map { Int64($0) }),
                 h.mapping.isNull ? .null : .json(h.mapping), .optionalText(sealed), .int(Int64(h.rateLimitPerMinute)),
                 .time(h.createdAt), .time(h.updatedAt)])
            try await self.insertAudit(audit, tx)
        }
        return h
    }

    public func updateWebhook(id: EntityID, changes: WebhookChanges, audit: ActionLog) async throws -> Webhook {
        try await database.write { tx in
            guard let row = try await tx.first("SELECT \(SQLStore.webhookColumns) FROM webhooks WHERE id = ?\(self.forUpdate)", [.text(id)]) else {
                throw KernelError.notFound("webhook \(id) not found")
            }
            var h = try SQLStore.webhookRow(row)
            if let name = changes.name, name != h.name {
                try await self.ensureUniqueName(table: "webhooks", kind: "webhook", name: name, except: id, tx)
                h.name = name
            }
            if let w = changes.workflowID { h.workflowID = w }
            if let v = changes.workflowVersion { h.workflowVersion = v }
            if let m = changes.mapping { h.mapping = m }
            if let r = changes.rateLimitPerMinute { h.rateLimitPerMinute = r }
            h.updatedAt = changes.updatedAt
            try await tx.execute(
                "UPDATE webhooks SET name = ?, workflow_id = ?, workflow_version = ?, mapping = ?, rate_limit_per_minute = ?, updated_at = ? WHERE id = ?",
                [.text(h.name), .text(h.workflowID), .optionalInt(h.workflowVersion.map { Int64($0) }),
                 h.mapping.isNull ? .null : .json(h.mapping), .int(Int64(h.rateLimitPerMinute)), .time(h.updatedAt), .text(id)])
            switch changes.secret {
            case .keep: break
            case .set(let s):
                try await tx.execute("UPDATE webhooks SET secret_sealed = ? WHERE id = ?",
                                     [.text(self.secrets.seal(s, context: SQLStore.webhookSecretContext(id))), .text(id)])
                h.hasSecret = true
            case .clear:
                try await tx.execute("UPDATE webhooks SET secret_sealed = NULL WHERE id = ?", [.text(id)])
                h.hasSecret = false
            }
            try await self.insertAudit(audit, tx)
            return h
        }
    }

    public func webhook(_ idOrName: String) async throws -> Webhook {
        try await database.read { db in
            let rows = try await db.query("SELECT \(SQLStore.webhookColumns) FROM webhooks WHERE id = ? OR lower(name) = lower(?)",
                                          [.text(idOrName), .text(idOrName)])
            let all = try rows.map(SQLStore.webhookRow)
            guard let h = all.first(where: { $0.id == idOrName }) ?? all.first else {
                throw KernelError.notFound("webhook \(idOrName) not found")
            }
            return h
        }
    }

    public func listWebhooks(limit: Int?, cursor: String?) async throws -> Page<Webhook> {
        try await page("webhooks", columns: SQLStore.webhookColumns, cursor: cursor, limit: limit, row: SQLStore.webhookRow,
                       key: { ($0.createdAt, $0.id) })
    }

    public func deleteWebhook(id: EntityID, audit: ActionLog) async throws {
        try await deleteRow("webhooks", noun: "webhook", id: id, dependents: [("webhook_deliveries", "webhook_id")], audit: audit)
    }

    public func unsealWebhookSecret(id: EntityID) async throws -> String? {
        let sealed: String? = try await database.read { db in
            guard let row = try await db.first("SELECT secret_sealed FROM webhooks WHERE id = ?", [.text(id)]) else {
                throw KernelError.notFound("webhook \(id) not found")
            }
            return row.optionalString(0)
        }
        guard let sealed else { return nil }
        return try secrets.unseal(sealed, context: SQLStore.webhookSecretContext(id))
    }

    public func claimDelivery(webhookID: EntityID, key: String, now: Timestamp, windowMilliseconds: Int64) async throws -> DeliveryClaim {
        try await database.write { tx in
            if let row = try await tx.first(
                "SELECT run_id, created_at FROM webhook_deliveries WHERE webhook_id = ? AND idempotency_key = ?\(self.forUpdate)",
                [.text(webhookID), .text(key)]) {
                if row.int(1) >= now.milliseconds - windowMilliseconds {
                    if let run = row.optionalString(0) { return .existing(runID: run) }
                    return .inFlight
                }
                // Older than the window: the key starts a new delivery.
                try await tx.execute("UPDATE webhook_deliveries SET run_id = NULL, created_at = ? WHERE webhook_id = ? AND idempotency_key = ?",
                                     [.time(now), .text(webhookID), .text(key)])
                return .claimed
            }
            // Two kernels inserting the same key at once: the primary key lets exactly one win.
            let won = try await tx.query(
                """
                INSERT INTO webhook_deliveries (webhook_id, idempotency_key, run_id, created_at) VALUES (?, ?, NULL, ?)
                ON CONFLICT (webhook_id, idempotency_key) DO NOTHING RETURNING webhook_id
                """, [.text(webhookID), .text(key), .time(now)])
            return won.isEmpty ? .inFlight : .claimed
        }
    }

    public func finishDelivery(webhookID: EntityID, key: String, runID: EntityID?) async throws {
        _ = try await database.write { tx in
            if let runID {
                try await tx.execute("UPDATE webhook_deliveries SET run_id = ? WHERE webhook_id = ? AND idempotency_key = ?",
                                     [.text(runID), .text(webhookID), .text(key)])
            } else {
                try await tx.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ? AND idempotency_key = ?",
                                     [.text(webhookID), .text(key)])
            }
        }
    }
}
