/// A compact text description of a connection's scanned schema (`connection.scan`
/// JSON, include/mcpk/plugin.h) for a model's context: one line per table with its
/// columns, types and keys, the chosen tables first, cut to a token budget. What the
/// budget leaves out is named in a last line, never dropped silently.
///
/// ```
/// Database schema of connection "shop" (PK primary key, FK foreign key → table.column):
/// main.orders(id INTEGER PK, customer_id INTEGER NOT NULL FK→main.customers.id, total NUMERIC)
/// … 2 more tables not shown (schemaTokenBudget 2000): main.a, main.b
/// ```
public enum SchemaDigest {
    /// `schemaTokenBudget` when a step sets none.
    public static let defaultTokenBudget = 2000
    /// Smallest and largest `schemaTokenBudget` accepted.
    public static let minTokenBudget = 64
    public static let maxTokenBudget = 32000
    /// Characters counted per token when applying the budget (a conservative average for
    /// identifiers and SQL types).
    public static let charsPerToken = 4

    public static func describe(connection: String, scan: JSON, chosenTables: [String] = [],
                                tokenBudget: Int = defaultTokenBudget) -> String {
        var lines: [(key: String, text: String)] = []
        for schema in scan["schemas"]?.arrayValue ?? [] {
            let s = schema["name"]?.stringValue ?? ""
            for table in schema["tables"]?.arrayValue ?? [] {
                let t = table["name"]?.stringValue ?? ""
                lines.append((s + "." + t, line(schema: s, table: table)))
            }
        }
        let chosen = chosenTables.map { $0.lowercased() }
        func rank(_ key: String) -> Int {
            let k = key.lowercased()
            let bare = String(k.split(separator: ".", maxSplits: 1).last ?? Substring(k))
            return chosen.firstIndex { $0 == k || $0 == bare } ?? chosen.count
        }
        let ordered = lines.enumerated().sorted { a, b in
            let ra = rank(a.element.key), rb = rank(b.element.key)
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        let budget = max(minTokenBudget, min(tokenBudget, maxTokenBudget)) * charsPerToken
        var out = "Database schema of connection \"\(connection)\" (PK primary key, FK foreign key → schema.table.column):"
        var used = out.count
        var shown = 0
        for l in ordered {
            if used + 1 + l.text.count > budget { break }
            out += "\n" + l.text
            used += 1 + l.text.count
            shown += 1
        }
        if shown < ordered.count {
            var tail = "\n… \(ordered.count - shown) more table(s) not shown (schemaTokenBudget \(tokenBudget)):"
            for l in ordered[shown...] {
                let add = " " + l.key
                if used + tail.count + add.count > budget + 200 { tail += " …"; break }
                tail += add
            }
            out += tail
        }
        if ordered.isEmpty { out += "\n(no tables)" }
        return out
    }

    /// `schema.table(col TYPE PK, col TYPE NOT NULL FK→s.t.c, …)`, views marked.
    static func line(schema: String, table: JSON) -> String {
        let name = table["name"]?.stringValue ?? ""
        var pk = Set<String>()
        var fk: [String: String] = [:]
        var unique: [[String]] = []
        for c in table["constraints"]?.arrayValue ?? [] {
            let cols = c["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            switch c["type"]?.stringValue {
            case "primary_key": pk.formUnion(cols)
            case "foreign_key":
                let refs = c["referenced_columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let target = (c["referenced_schema"]?.stringValue.map { $0 + "." } ?? "") + (c["referenced_table"]?.stringValue ?? "")
                for (i, col) in cols.enumerated() { fk[col] = target + "." + (i < refs.count ? refs[i] : "?") }
            case "unique": unique.append(cols)
            default: break
            }
        }
        let columns = (table["columns"]?.arrayValue ?? []).map { c -> String in
            let col = c["name"]?.stringValue ?? ""
            var s = col
            if let t = c["type"]?.stringValue, !t.isEmpty { s += " " + t }
            if pk.contains(col) { s += " PK" } else if c["nullable"] == .bool(false) { s += " NOT NULL" }
            if let f = fk[col] { s += " FK→" + f }
            return s
        }
        var text = "\(schema).\(name)(" + columns.joined(separator: ", ") + ")"
        if table["type"]?.stringValue == "view" { text += " VIEW" }
        for u in unique where u.count > 0 { text += " UNIQUE(" + u.joined(separator: ", ") + ")" }
        return text
    }
}
