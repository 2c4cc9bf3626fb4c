import KernelCore
import KernelLoop

/// Runs statements on one connection (inside a transaction for writes).
@KernelActor
public protocol SQLExecutor: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one parameterised statement (placeholders `?`) and returns its rows.
    func query(_ sql: String, _ params: [SQLValue]) async throws -> [SQLRow]
}

extension SQLExecutor {
    public func query(_ sql: String) async throws -> [SQLRow] {
        try await query(sql, [])
    }

    @discardableResult
    public func execute(_ sql: String, _ params: [SQLValue] = []) async throws -> [SQLRow] {
        try await query(sql, params)
    }

    public func first(_ sql: String, _ params: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, params).first
    }
}

/// A backend: connections, transactions, migrations. `SQLStore` builds the
/// domain operations on top of it, once for both backends.
@KernelActor
public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction; commits if it returns, rolls back if it throws.
    func write<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` with a read connection (autocommit statements).
    func read<T>(_ body: @KernelActor (SQLExecutor) async throws -> T) async throws -> T
    /// Applies the migrations not yet recorded in `schema_migrations`.
    func migrate(_ migrations: [Migration]) async throws -> [Int]
    func close() async
}
