import KernelCore
import KernelLoop

/// Workspace secrets and variables (issue 17): `secret.*` / `var.*`, read by runs as
/// `${secrets.NAME}` and `${vars.NAME}`. Implemented by `SQLStore` for both backends; audit
/// entries in the same transaction name the entry, never a secret's value; a secret's value is
/// sealed at rest (`SecretBox`, the name as associated data) and only `unsealWorkspaceSecrets`
/// returns it, for the engine.
@KernelActor
public protocol WorkspaceValueStore: AnyObject {
    /// Creates or replaces; returns whether it existed before.
    func setWorkspaceValue(_ kind: WorkspaceValueKind, name: String, value: String, at: Timestamp, audit: ActionLog) async throws -> Bool
    /// Every entry of a kind, by name (secrets without their values).
    func listWorkspaceValues(_ kind: WorkspaceValueKind) async throws -> [WorkspaceValue]
    func deleteWorkspaceValue(_ kind: WorkspaceValueKind, name: String, audit: ActionLog) async throws
    /// The plaintexts of the named secrets (missing names are left out).
    func unsealWorkspaceSecrets(_ names: [String]) async throws -> [String: String]
    /// The values of the named variables (missing names are left out).
    func workspaceVariables(_ names: [String]) async throws -> [String: String]
}

/// Secret or variable.
public enum WorkspaceValueKind: String, Sendable, CaseIterable {
    case secret, variable

    var table: String { self == .secret ? "workspace_secrets" : "workspace_vars" }
    var valueColumn: String { self == .secret ? "value_sealed" : "value" }
    public var noun: String { self == .secret ? "secret" : "variable" }
}

/// One listed entry; `value` is nil for a secret (write-only). The API form: `WorkspaceValue+Reply` (KernelServer).
public struct WorkspaceValue: Sendable, Equatable {
    public var name: String
    public var value: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(name: String, value: String?, createdAt: Timestamp, updatedAt: Timestamp) {
        self.name = name; self.value = value; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}
