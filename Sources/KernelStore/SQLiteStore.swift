import KernelCore
import KernelLoop

/// The embedded default store (`sqlite://$MCPK_HOME/mcpk.db`).
@KernelActor
public final class SQLiteStore: SQLStore {
    /// Opens the database file, applies migrations, loads (or creates) `home/secret.key`.
    public static func open(path: String, home: String) async throws -> SQLiteStore {
        let secrets = try SecretBox(keyPath: home + "/" + SecretBox.keyFileName)
        let db = try await SQLiteDatabase.open(path: path)
        let store = SQLiteStore(database: db, secrets: secrets, kind: .sqlite)
        try await store.migrateOrClose()
        return store
    }
}
