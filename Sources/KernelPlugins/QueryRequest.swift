import KernelCore

/// One statement for a connector: SQL in the source's dialect, JSON params, limits.
public struct QueryRequest: Sendable, Equatable {
    public var sql: String
    public var params: [JSON]
    /// Rows to deliver at most; negative means unlimited.
    public var maxRows: Int64
    /// Statement timeout, 0 for none.
    public var timeoutMs: Int64

    public init(sql: String, params: [JSON] = [], maxRows: Int64 = -1, timeoutMs: Int64 = 0) {
        self.sql = sql
        self.params = params
        self.maxRows = maxRows
        self.timeoutMs = timeoutMs
    }

    public var json: JSON {
        ["sql": .string(sql), "params": .array(params), "max_rows": .int(maxRows), "timeout_ms": .int(timeoutMs)]
    }

    public init(json: JSON) {
        sql = json["sql"]?.stringValue ?? ""
        params = json["params"]?.arrayValue ?? []
        maxRows = json["max_rows"]?.intValue ?? -1
        timeoutMs = json["timeout_ms"]?.intValue ?? 0
    }
}

/// A result column.
public struct QueryColumn: Sendable, Equatable {
    public var name: String
    /// "null", "bool", "int64", "double", "text" or "bytes".
    public var type: String
    /// The database's own type name, if reported.
    public var typeName: String?

    public init(name: String, type: String, typeName: String?) {
        self.name = name
        self.type = type
        self.typeName = typeName
    }

    public var json: JSON {
        var o: JSONObject = JSONObject([("name", .string(name)), ("type", .string(type))])
        if let typeName { o["db_type"] = .string(typeName) }
        return .object(o)
    }

    public init(json: JSON) {
        name = json["name"]?.stringValue ?? ""
        type = json["type"]?.stringValue ?? "text"
        typeName = json["db_type"]?.stringValue
    }
}

/// A collected result.
public struct QueryResult: Sendable, Equatable {
    public var columns: [QueryColumn]
    public var rows: [[JSON]]
    public var truncated: Bool
    public var rowsAffected: Int64?
    public var elapsedMs: Int64

    public var json: JSON {
        var o = JSONObject()
        o["columns"] = .array(columns.map(\.json))
        o["rows"] = .array(rows.map { .array($0) })
        o["truncated"] = .bool(truncated)
        o["row_count"] = .int(Int64(rows.count))
        if let rowsAffected { o["rows_affected"] = .int(rowsAffected) }
        o["elapsed_ms"] = .int(elapsedMs)
        return .object(o)
    }

    public init(columns: [QueryColumn], rows: [[JSON]], truncated: Bool, rowsAffected: Int64?, elapsedMs: Int64) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
        self.rowsAffected = rowsAffected
        self.elapsedMs = elapsedMs
    }

    public init(json: JSON) {
        self.init(columns: (json["columns"]?.arrayValue ?? []).map(QueryColumn.init(json:)),
                  rows: (json["rows"]?.arrayValue ?? []).map { $0.arrayValue ?? [] },
                  truncated: json["truncated"]?.boolValue ?? false, rowsAffected: json["rows_affected"]?.intValue,
                  elapsedMs: json["elapsed_ms"]?.intValue ?? 0)
    }
}

/// Limits the host applies to connector calls.
public enum ConnectorLimits {
    /// Rows a collected query result may hold regardless of `max_rows`.
    public static let maxCollectedRows: Int64 = 100_000
    /// Default `max_rows` of `connection.query` when none is given.
    public static let defaultMaxRows: Int64 = 1_000
    /// Default connect timeout (ms).
    public static let defaultConnectTimeoutMs: Int64 = 10_000
}
