import KernelCore
import KernelLoop

/// PostgreSQL store over libpq in non-blocking mode on the loop.
@KernelActor
public final class PostgresStore: SQLStore {
    /// The backend, typed (connection pool, reconnects).
    public let postgres: PostgresDatabase

    init(postgres: PostgresDatabase, secrets: SecretBox) {
        self.postgres = postgres
        super.init(database: postgres, secrets: secrets, kind: .postgres)
    }

    /// Connects, applies migrations (under an advisory lock), loads or creates `home/secret.key`.
    public static func open(url: String, home: String, poolSize: Int = PostgresDatabase.defaultPoolSize) async throws -> PostgresStore {
        let secrets = try SecretBox(keyPath: home + "/" + SecretBox.keyFileName)
        let db = PostgresDatabase(conninfo: url, poolSize: poolSize)
        let store = PostgresStore(postgres: db, secrets: secrets)
        try await store.migrateOrClose()
        return store
    }
}
