import KernelCore

/// One cell of a result row, as the backend returned it.
public enum SQLCell: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}

/// One result row; columns by position (queries name their columns explicitly).
public struct SQLRow: Sendable {
    public var cells: [SQLCell]

    public init(_ cells: [SQLCell]) { self.cells = cells }

    public func isNull(_ i: Int) -> Bool {
        guard i < cells.count else { return true }
        if case .null = cells[i] { return true }
        return false
    }

    public func optionalString(_ i: Int) -> String? {
        guard i < cells.count else { return nil }
        switch cells[i] {
        case .null: return nil
        case .int(let v): return String(v)
        case .double(let d): return String(d)
        case .text(let s): return s
        }
    }

    public func string(_ i: Int) -> String { optionalString(i) ?? "" }

    public func optionalInt(_ i: Int) -> Int64? {
        guard i < cells.count else { return nil }
        switch cells[i] {
        case .null: return nil
        case .int(let v): return v
        case .double(let d): return Int64(d)
        case .text(let s): return Int64(s) ?? Double(s).map { Int64($0) }
        }
    }

    public func int(_ i: Int) -> Int64 { optionalInt(i) ?? 0 }

    public func double(_ i: Int) -> Double {
        guard i < cells.count else { return 0 }
        switch cells[i] {
        case .null: return 0
        case .int(let v): return Double(v)
        case .double(let d): return d
        case .text(let s): return Double(s) ?? 0
        }
    }

    /// Integers 0/1 (both backends store booleans as integers).
    public func bool(_ i: Int) -> Bool { int(i) != 0 }

    public func optionalTime(_ i: Int) -> Timestamp? { optionalInt(i).map { Timestamp(milliseconds: $0) } }
    public func time(_ i: Int) -> Timestamp { Timestamp(milliseconds: int(i)) }

    /// A JSON column (TEXT on SQLite, JSONB on PostgreSQL). Unparseable → `internal`.
    public func json(_ i: Int) throws -> JSON {
        guard let s = optionalString(i) else { return .null }
        do { return try JSONParser.parse(s) } catch {
            throw KernelError.internal("stored JSON is unreadable: \(error)")
        }
    }
}
