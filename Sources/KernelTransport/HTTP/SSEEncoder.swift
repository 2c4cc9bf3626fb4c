/// The one Server-Sent Events encoder (WHATWG HTML §9.2 "event stream").
///
/// * Field values never contain CR or LF: multi-line `data` is split into one
///   `data:` line per line (CRLF, CR and LF all count as line breaks), so the
///   client re-joins them with `\n`.
/// * `id` and `event` values have line breaks removed (they cannot be split).
/// * Every event ends with an empty line.
public enum SSEEncoder {
    /// `retry: <ms>\n\n` — sent first on every stream.
    public static func retry(_ milliseconds: Int) -> String {
        "retry: \(milliseconds)\n\n"
    }

    /// One event. `data` may be multi-line; an empty `data` yields one empty `data:` line.
    public static func event(id: String? = nil, event: String? = nil, data: String) -> String {
        var out = ""
        if let id { out += "id: " + singleLine(id) + "\n" }
        if let event { out += "event: " + singleLine(event) + "\n" }
        for line in lines(data) { out += "data: " + line + "\n" }
        out += "\n"
        return out
    }

    /// A comment line (ignored by clients; keeps proxies and idle timers from closing the stream).
    public static func comment(_ text: String = "") -> String {
        let parts = lines(text)
        return parts.map { $0.isEmpty ? ":\n" : ": " + $0 + "\n" }.joined() + "\n"
    }

    static func singleLine(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { return s }
        return String(s.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }.map(Character.init))
    }

    /// Splits on CRLF, CR or LF (a trailing break yields a final empty line).
    static func lines(_ s: String) -> [String] {
        // Fast path: compact JSON never holds a raw line break.
        if !s.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { return [s] }
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var it = s.unicodeScalars.makeIterator()
        var pendingCR = false
        while let c = it.next() {
            if pendingCR {
                pendingCR = false
                if c == "\n" { continue }
            }
            if c == "\r" {
                out.append(String(current)); current = .init(); pendingCR = true
            } else if c == "\n" {
                out.append(String(current)); current = .init()
            } else {
                current.append(c)
            }
        }
        out.append(String(current))
        return out
    }
}
