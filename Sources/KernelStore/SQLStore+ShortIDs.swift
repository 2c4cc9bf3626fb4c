import KernelCore

/// Short ids: the 8-character prefixes the console and the CLI tables show are accepted
/// wherever a component, workflow, connection or run id is, when exactly one id starts with
/// them. Resolved here, where ids are looked up, so the control socket, the HTTP API and the
/// CLI (a client of either) all accept them the same way.
public enum ShortID {
    /// The shortest prefix accepted (shorter strings are only ids or names).
    public static let minLength = 4
    /// How many candidates an ambiguity error lists.
    public static let maxCandidatesShown = 5

    /// Whether `s` can be an id prefix: `minLength`+ characters of hex digits and dashes, shorter than a full id.
    public static func isCandidate(_ s: String) -> Bool {
        s.utf8.count >= minLength && s.utf8.count < 36
            && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

extension SQLStore {
    /// The one id in `table` starting with `prefix`; nil when none does (or `prefix` cannot be
    /// one); `conflict` listing the candidates when several do.
    func idWithPrefix(_ prefix: String, table: String, noun: String, _ db: SQLExecutor) async throws -> EntityID? {
        guard ShortID.isCandidate(prefix) else { return nil }
        let rows = try await db.query("SELECT id FROM \(table) WHERE id LIKE ? ORDER BY id LIMIT ?",
                                      [.text(prefix.lowercased() + "%"), .int(Int64(ShortID.maxCandidatesShown + 1))])
        let ids = rows.map { $0.string(0) }
        if ids.count <= 1 { return ids.first }
        let shown = ids.prefix(ShortID.maxCandidatesShown).joined(separator: ", ")
        throw KernelError.conflict("\(noun) id prefix '\(prefix)' is ambiguous: it matches \(shown)"
                                   + (ids.count > ShortID.maxCandidatesShown ? " and more" : "") + "; give more characters")
    }

    /// A run id, or the full id of the one run whose id starts with `idOrPrefix`; unchanged when none matches
    /// (the lookup that follows then says `not_found`).
    public func resolveRunID(_ idOrPrefix: String) async throws -> EntityID {
        if Identifier.isUUID(idOrPrefix) { return idOrPrefix }
        return try await database.read { db in
            try await self.idWithPrefix(idOrPrefix, table: "workflow_runs", noun: "run", db) ?? idOrPrefix
        }
    }
}
