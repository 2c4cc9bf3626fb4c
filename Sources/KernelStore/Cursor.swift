import KernelCore

/// Opaque keyset cursors: `<created_at ms>:<id>` of the last item of a page.
enum Cursor {
    static func encode(_ t: Timestamp, _ id: String) -> String { "\(t.milliseconds):\(id)" }

    static func decode(_ s: String) throws -> (Int64, String) {
        guard let colon = s.firstIndex(of: ":"), let ms = Int64(s[..<colon]) else {
            throw KernelError.invalidParams("malformed cursor", errors: [FieldError("cursor", "is not a cursor returned by a previous page")])
        }
        return (ms, String(s[s.index(after: colon)...]))
    }

    /// `LIKE` pattern for a case-insensitive substring (escape character `\`).
    static func likePattern(_ q: String) -> String {
        var out = "%"
        for ch in q.lowercased() {
            if ch == "%" || ch == "_" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out + "%"
    }
}
