import KernelCore

/// A bound parameter of a statement. Both backends take the same values;
/// JSON is bound as its compact text (SQLite TEXT, PostgreSQL JSONB).
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case json(JSON)

    public static func optionalText(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
    public static func optionalInt(_ v: Int64?) -> SQLValue { v.map { .int($0) } ?? .null }
    public static func bool(_ b: Bool) -> SQLValue { .int(b ? 1 : 0) }
    public static func time(_ t: Timestamp?) -> SQLValue { t.map { .int($0.milliseconds) } ?? .null }

    /// The text form used by libpq's text protocol (nil for NULL).
    var postgresText: String? {
        switch self {
        case .null: return nil
        case .int(let v): return String(v)
        case .double(let d): return String(d)
        case .text(let s): return s
        case .json(let j): return j.serialized()
        }
    }
}
