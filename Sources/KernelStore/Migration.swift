/// One versioned schema change. `{JSON}` in a statement becomes the dialect's
/// JSON column type. Applied in order at start-up and recorded in
/// `schema_migrations`; never edited once released (add a new one instead).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    func sql(for dialect: SQLDialect) -> [String] {
        statements.map { $0.replacing("{JSON}", with: dialect.jsonType).replacing("{BYTES}", with: dialect.bytesType) }
    }

    /// Creates the bookkeeping table (both dialects).
    static let bookkeeping = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
        """

    /// The kernel's schema, in order. `{BYTES}` becomes the dialect's byte-string type.
    public static let all: [Migration] = [
        Migration(version: 1, name: "catalogue, runs, audit, connections", statements: [
            """
            CREATE TABLE components (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
              tags {JSON} NOT NULL, owner TEXT NOT NULL DEFAULT '', latest_version INTEGER NOT NULL,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX components_name_ci ON components (lower(name))",
            "CREATE INDEX components_created ON components (created_at, id)",
            """
            CREATE TABLE component_versions (
              component_id TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
              version INTEGER NOT NULL, type TEXT NOT NULL, config {JSON} NOT NULL, checksum TEXT NOT NULL,
              created_at BIGINT NOT NULL, PRIMARY KEY (component_id, version))
            """,
            """
            CREATE TABLE workflows (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
              latest_version INTEGER NOT NULL, definition {JSON} NOT NULL,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX workflows_name_ci ON workflows (lower(name))",
            "CREATE INDEX workflows_created ON workflows (created_at, id)",
            """
            CREATE TABLE workflow_versions (
              workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
              version INTEGER NOT NULL, definition {JSON} NOT NULL, checksum TEXT NOT NULL,
              created_at BIGINT NOT NULL, PRIMARY KEY (workflow_id, version))
            """,
            """
            CREATE TABLE workflow_components (
              workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
              component_id TEXT NOT NULL, PRIMARY KEY (workflow_id, component_id))
            """,
            "CREATE INDEX workflow_components_component ON workflow_components (component_id)",
            """
            CREATE TABLE workflow_runs (
              id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version INTEGER NOT NULL,
              status TEXT NOT NULL, inputs {JSON} NOT NULL, outputs {JSON} NOT NULL, error TEXT,
              pinned {JSON} NOT NULL, created_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT,
              owner TEXT, lease_expires_at BIGINT, last_seq BIGINT NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX workflow_runs_workflow ON workflow_runs (workflow_id, created_at)",
            "CREATE INDEX workflow_runs_status ON workflow_runs (status, created_at)",
            "CREATE INDEX workflow_runs_created ON workflow_runs (created_at, id)",
            "CREATE INDEX workflow_runs_owner ON workflow_runs (owner, status)",
            "CREATE INDEX workflow_runs_finished ON workflow_runs (finished_at)",
            """
            CREATE TABLE step_runs (
              run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE, step_id TEXT NOT NULL,
              attempt INTEGER NOT NULL, status TEXT NOT NULL, component_id TEXT NOT NULL,
              component_version INTEGER NOT NULL, result {JSON} NOT NULL, error TEXT,
              started_at BIGINT, finished_at BIGINT, PRIMARY KEY (run_id, step_id, attempt))
            """,
            """
            CREATE TABLE run_events (
              run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE, seq BIGINT NOT NULL,
              type TEXT NOT NULL, step_id TEXT, payload {JSON} NOT NULL, at BIGINT NOT NULL,
              PRIMARY KEY (run_id, seq))
            """,
            """
            CREATE TABLE action_logs (
              id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action_type TEXT NOT NULL,
              entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, details {JSON} NOT NULL)
            """,
            "CREATE INDEX action_logs_at ON action_logs (at, id)",
            "CREATE INDEX action_logs_entity ON action_logs (entity_type, entity_id, at)",
            """
            CREATE TABLE connections (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, plugin TEXT NOT NULL, config {JSON} NOT NULL,
              read_only INTEGER NOT NULL DEFAULT 0, secret_sealed TEXT,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX connections_name_ci ON connections (lower(name))",
        ]),
        Migration(version: 2, name: "run triggers, webhooks and their deliveries", statements: [
            "ALTER TABLE workflow_runs ADD COLUMN run_trigger {JSON}",
            """
            CREATE TABLE webhooks (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
              workflow_version INTEGER, mapping {JSON}, secret_sealed TEXT, rate_limit_per_minute INTEGER NOT NULL,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX webhooks_name_ci ON webhooks (lower(name))",
            "CREATE INDEX webhooks_created ON webhooks (created_at, id)",
            """
            CREATE TABLE webhook_deliveries (
              webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE, idempotency_key TEXT NOT NULL,
              run_id TEXT, created_at BIGINT NOT NULL, PRIMARY KEY (webhook_id, idempotency_key))
            """,
        ]),
        Migration(version: 3, name: "schedules and their claimed ticks", statements: [
            """
            CREATE TABLE schedules (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
              workflow_version INTEGER, cron TEXT NOT NULL, timezone TEXT NOT NULL, inputs {JSON} NOT NULL,
              catchup TEXT NOT NULL, overlap TEXT NOT NULL, state TEXT NOT NULL, anchor BIGINT NOT NULL,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX schedules_name_ci ON schedules (lower(name))",
            "CREATE INDEX schedules_created ON schedules (created_at, id)",
            """
            CREATE TABLE schedule_ticks (
              schedule_id TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE, tick BIGINT NOT NULL,
              run_id TEXT, owner TEXT NOT NULL, outcome TEXT NOT NULL, error TEXT, created_at BIGINT NOT NULL,
              PRIMARY KEY (schedule_id, tick))
            """,
            "CREATE INDEX schedule_ticks_outcome ON schedule_ticks (outcome, owner)",
        ]),
        Migration(version: 4, name: "blob store (PostgreSQL: chunk rows shared by every kernel)", statements: [
            // A blob is complete once its `blobs` row exists (written last, in the chunks' transaction).
            // SQLite homes keep blobs as files under $MCPK_HOME/blobs; the tables stay empty there.
            """
            CREATE TABLE blobs (
              digest TEXT PRIMARY KEY, size BIGINT NOT NULL, chunk_bytes INTEGER NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE blob_chunks (
              digest TEXT NOT NULL, seq INTEGER NOT NULL, data {BYTES} NOT NULL, PRIMARY KEY (digest, seq))
            """,
        ]),
        Migration(version: 5, name: "pinned runs (kept by retention)", statements: [
            """
            CREATE TABLE run_pins (
              run_id TEXT PRIMARY KEY REFERENCES workflow_runs(id) ON DELETE CASCADE, actor TEXT NOT NULL, pinned_at BIGINT NOT NULL)
            """,
        ]),
        Migration(version: 6, name: "run waits (timers, signals, child runs of waiting steps)", statements: [
            """
            CREATE TABLE run_waits (
              run_id TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE, step_id TEXT NOT NULL, attempt INTEGER NOT NULL,
              kind TEXT NOT NULL, due_at BIGINT, signal TEXT, child_run_id TEXT, inputs {JSON} NOT NULL,
              created_at BIGINT NOT NULL, resolved_at BIGINT, outcome TEXT NOT NULL, payload {JSON} NOT NULL,
              PRIMARY KEY (run_id, step_id, attempt))
            """,
            "CREATE INDEX run_waits_child ON run_waits (child_run_id)",
        ]),
        Migration(version: 7, name: "run idempotency keys, workspace secrets and variables", statements: [
            // No foreign key to workflow_runs: the key is claimed before the run row is written
            // (same transaction); a key whose run retention removed is taken over.
            """
            CREATE TABLE run_idempotency_keys (
              idempotency_key TEXT PRIMARY KEY, run_id TEXT NOT NULL, workflow_id TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX run_idempotency_keys_created ON run_idempotency_keys (created_at)",
            // Values sealed with the home's SecretBox (associated data: the name); never returned.
            """
            CREATE TABLE workspace_secrets (
              name TEXT PRIMARY KEY, value_sealed TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE workspace_vars (
              name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
        ]),
        Migration(version: 8, name: "shared run queue (workflow concurrency on the run) and the kernels of a cluster", statements: [
            // The workflow's `concurrency` copied onto each run at submission, so a claim can count
            // a workflow's held runs across kernels without reading definitions (NULL: no limit).
            "ALTER TABLE workflow_runs ADD COLUMN concurrency INTEGER",
            """
            CREATE TABLE kernels (
              id TEXT PRIMARY KEY, host TEXT NOT NULL, version TEXT NOT NULL, started_at BIGINT NOT NULL,
              heartbeat_at BIGINT NOT NULL, running_steps INTEGER NOT NULL, capacity INTEGER NOT NULL,
              active_runs INTEGER NOT NULL, state TEXT NOT NULL)
            """,
        ]),
        Migration(version: 9, name: "step result cache (used when no Redis is configured)", statements: [
            // cache_key: hex SHA-256 of the canonical (component, version, resolved inputs, key):
            // never the inputs themselves. result: the stored result JSON (a blob reference for a
            // large one, which keeps the blob from the sweep while the entry exists).
            """
            CREATE TABLE step_cache (
              cache_key TEXT PRIMARY KEY, result {JSON} NOT NULL, component_id TEXT NOT NULL,
              component_version INTEGER NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
              attempt INTEGER NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX step_cache_expires ON step_cache (expires_at)",
        ]),
    ]
}
