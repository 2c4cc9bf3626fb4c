import KernelCore

/// Where the kernel's optional Redis is: `REDIS_URL` (`redis://[:password@]host[:port][/db]`), or
/// `REDIS_HOST`/`REDIS_PORT` as in the seed's `.env` (contract: issue 14). Parsed once, by
/// `KernelConfiguration`; a malformed value is an error naming the setting.
public struct RedisEndpoint: Sendable, Equatable {
    public static let defaultPort = 6379

    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = RedisEndpoint.defaultPort, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    public static func parse(url: String, setting: String = "REDIS_URL") throws -> RedisEndpoint {
        guard url.hasPrefix("redis://") else {
            throw KernelError.invalidParams("\(setting) must start with redis:// (got '\(url)')")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                password = String(userinfo[userinfo.index(after: colon)...])
            } else if !userinfo.isEmpty {
                password = String(userinfo)
            }
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else {
                    throw KernelError.invalidParams("\(setting): database must be a number ≥ 0 (got '\(db)' in '\(url)')")
                }
                database = n
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = defaultPort
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            host = String(rest[..<colon])
            port = try checkedPort(String(rest[rest.index(after: colon)...]), setting: setting)
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw KernelError.invalidParams("\(setting) has no host (got '\(url)')") }
        return RedisEndpoint(host: host, port: port, password: password.flatMap { $0.isEmpty ? nil : $0 }, database: database)
    }

    /// `REDIS_HOST` with an optional `REDIS_PORT`.
    public static func from(host: String, port: String?) throws -> RedisEndpoint {
        RedisEndpoint(host: host, port: try port.map { try checkedPort($0, setting: "REDIS_PORT") } ?? defaultPort)
    }

    static func checkedPort(_ raw: String, setting: String) throws -> Int {
        guard let p = Int(raw), (1...65535).contains(p) else {
            throw KernelError.invalidParams("\(setting): port must be 1…65535 (got '\(raw)')")
        }
        return p
    }

    /// For status output: never shows the password.
    public var redacted: String {
        "redis://\(password == nil ? "" : ":***@")\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }
}
