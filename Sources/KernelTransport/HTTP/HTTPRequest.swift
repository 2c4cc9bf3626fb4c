/// One parsed HTTP/1.1 request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The raw request target (`/api/v1/x?y=1`).
    public var target: String
    /// The percent-decoded path.
    public var path: String
    /// The raw (undecoded) path, for segment matching that keeps `%2F` inside a segment.
    public var rawPath: String
    /// Query parameters in order, percent-decoded (`+` is a space).
    public var query: [(String, String)]
    /// Header names lower-cased, in order.
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var keepAlive: Bool
    public var versionMinor: Int

    public init(method: String, target: String, headers: [(String, String)] = [], body: [UInt8] = [],
                keepAlive: Bool = true, versionMinor: Int = 1) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
        self.versionMinor = versionMinor
        let q = target.firstIndex(of: "?")
        rawPath = q.map { String(target[..<$0]) } ?? target
        path = HTTPRequest.percentDecode(rawPath, plusIsSpace: false) ?? rawPath
        query = q.map { HTTPRequest.parseQuery(String(target[target.index(after: $0)...])) } ?? []
    }

    /// The first value of a header (name case-insensitive).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0 == n }?.1
    }

    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    package static func parseQuery(_ s: String) -> [(String, String)] {
        s.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                let k = String(pair[..<eq]), v = String(pair[pair.index(after: eq)...])
                return (percentDecode(k, plusIsSpace: true) ?? k, percentDecode(v, plusIsSpace: true) ?? v)
            }
            let k = String(pair)
            return (percentDecode(k, plusIsSpace: true) ?? k, "")
        }
    }

    /// Percent-decodes; nil when an escape is malformed or the result is not UTF-8.
    public static func percentDecode(_ s: String, plusIsSpace: Bool) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let h = hexValue(it[it.startIndex]), let l = hexValue(it[it.startIndex + 1]) else { return nil }
                out.append(h << 4 | l)
                it = it.dropFirst(2)
            } else if b == UInt8(ascii: "+") && plusIsSpace {
                out.append(0x20)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs, CR and LF.
    package func httpTrimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
