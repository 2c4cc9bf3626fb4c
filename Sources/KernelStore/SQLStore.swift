import Glibc
import KernelCore
import KernelLoop

/// The domain operations of `Store`, written once over `SQLDatabase`.
/// `SQLiteStore` and `PostgresStore` only choose the backend.
@KernelActor
open class SQLStore: Store {
    public let database: SQLDatabase
    public let secrets: SecretBox
    public let kind: StoreKind

    init(database: SQLDatabase, secrets: SecretBox, kind: StoreKind) {
        self.database = database
        self.secrets = secrets
        self.kind = kind
    }

    var dialect: SQLDialect { database.dialect }

    /// Applies pending migrations; returns the versions applied now.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await database.migrate(Migration.all)
    }

    public func close() async { await database.close() }

    /// Applies pending migrations to a store just opened (`SQLiteStore.open`, `PostgresStore.open`);
    /// closes its database when they fail.
    func migrateOrClose() async throws {
        do {
            try await migrate()
        } catch {
            await database.close()
            throw error
        }
    }

    public func ping() async throws -> Double {
        let t0 = MonotonicClock.milliseconds()
        _ = try await database.read { try await $0.first("SELECT 1") }
        return MonotonicClock.milliseconds() - t0
    }

    // MARK: audit

    /// Markers allowed as the value of a `secret` key in audit details.
    static let secretMarkers: [JSON] = ["set", "cleared", .null]

    /// Inserts an audit row (inside the caller's transaction). Any other value
    /// of a `secret` key in the details is reduced to `"set"`.
    func insertAudit(_ entry: ActionLog, _ tx: SQLExecutor) async throws {
        var details = entry.details
        if case .object(var o) = details, let v = o["secret"], !SQLStore.secretMarkers.contains(v) {
            o["secret"] = "set"
            details = .object(o)
        }
        try await tx.execute(
            "INSERT INTO action_logs (id, at, actor, action_type, entity_type, entity_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(entry.id), .time(entry.at), .text(entry.actor), .text(entry.actionType), .text(entry.entityType),
             .text(entry.entityID), .json(details)])
    }

    public func appendAudit(_ entry: ActionLog) async throws {
        try await database.write { tx in try await self.insertAudit(entry, tx) }
    }

    static let auditColumns = "id, at, actor, action_type, entity_type, entity_id, details"

    static func auditRow(_ r: SQLRow) throws -> ActionLog {
        ActionLog(id: r.string(0), at: r.time(1), actor: r.string(2), actionType: r.string(3), entityType: r.string(4),
                  entityID: r.string(5), details: try r.json(6))
    }

    public func listAudit(_ query: AuditQuery) async throws -> [ActionLog] {
        let limit = StoreLimits.clamp(query.limit, default: StoreLimits.defaultPageSize, max: StoreLimits.maxAuditPage)
        return try await database.read { db in
            var clauses: [String] = []
            var params: [SQLValue] = []
            if let t = query.entityType { clauses.append("entity_type = ?"); params.append(.text(t)) }
            if let id = query.entityID { clauses.append("entity_id = ?"); params.append(.text(id)) }
            if let a = query.actionType { clauses.append("action_type = ?"); params.append(.text(a)) }
            if let before = query.before {
                guard let row = try await db.first("SELECT at, id FROM action_logs WHERE id = ?", [.text(before)]) else {
                    throw KernelError.invalidParams("unknown audit entry", errors: [FieldError("cursor", "no audit entry with this id")])
                }
                clauses.append("(at < ? OR (at = ? AND id < ?))")
                params += [.int(row.int(0)), .int(row.int(0)), .text(row.string(1))]
            }
            let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            params.append(.int(Int64(limit)))
            let rows = try await db.query("SELECT \(SQLStore.auditColumns) FROM action_logs\(whereSQL) ORDER BY at DESC, id DESC LIMIT ?", params)
            return try rows.map(SQLStore.auditRow)
        }
    }

    // MARK: helpers

    /// Appends the keyset condition of a descending (created_at, id) cursor.
    func addCursor(_ cursor: String?, column: String = "created_at", to clauses: inout [String], _ params: inout [SQLValue]) throws {
        guard let cursor else { return }
        let (ms, id) = try Cursor.decode(cursor)
        clauses.append("(\(column) < ? OR (\(column) = ? AND id < ?))")
        params += [.int(ms), .int(ms), .text(id)]
    }

    var forUpdate: String { dialect == .postgres ? " FOR UPDATE" : "" }
}
