import KernelCore
import KernelLoop

/// Opens the store selected by a URL (contract: DESIGN.md §3 `DATABASE_URL`).
public enum StoreFactory {
    /// `sqlite://PATH` (relative paths are relative to the working directory;
    /// empty path → `home/mcpk.db`) or `postgres://…` / `postgresql://…`.
    @KernelActor
    public static func open(url: String, home: String) async throws -> SQLStore {
        if url.hasPrefix("sqlite://") {
            var path = String(url.dropFirst("sqlite://".count))
            if path.isEmpty { path = home + "/mcpk.db" }
            return try await SQLiteStore.open(path: path, home: home)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStore.open(url: url, home: home)
        }
        throw KernelError.invalidParams("unsupported database URL (expected sqlite:// or postgres://)",
                                        errors: [FieldError("database_url", "must start with sqlite:// or postgres://")])
    }
}
