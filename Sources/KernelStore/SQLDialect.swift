/// The few places where the two backends' SQL differs.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// Column type of JSON documents.
    var jsonType: String { self == .sqlite ? "TEXT" : "JSONB" }

    /// Column type of raw bytes.
    var bytesType: String { self == .sqlite ? "BLOB" : "BYTEA" }

    /// Suffix of a claim sub-select: other kernels skip rows being claimed.
    var skipLocked: String { self == .sqlite ? "" : " FOR UPDATE SKIP LOCKED" }

    /// A predicate true when the JSON array column `column` contains the string parameter.
    func jsonArrayContains(_ column: String) -> String {
        switch self {
        case .sqlite: return "EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value = ?)"
        case .postgres: return "\(column) @> jsonb_build_array(?::text)"
        }
    }

    /// Rewrites `?` placeholders into `$1, $2, …` for PostgreSQL. Statements
    /// of this module never contain `?` inside string literals.
    func placeholders(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
