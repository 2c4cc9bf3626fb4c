import Glibc
import KernelCore
import KernelLoop
import KernelStore

/// Resolved kernel settings (contract: DESIGN.md §3).
/// Precedence, highest first: flags, environment, `.env` in the working directory, defaults.
public struct KernelConfiguration: Sendable {
    public static let defaultHTTPAddress = "127.0.0.1:8470"

    public var home: String
    public var socketPath: String
    /// `host:port`, or empty to disable the HTTP shim.
    public var httpAddress: String
    public var pluginDirs: [String]
    public var databaseURL: String
    public var token: String?
    public var logLevel: String
    /// The optional Redis (`REDIS_URL`, or `REDIS_HOST`/`REDIS_PORT`): run-event fan-out and the step result cache.
    public var redis: RedisEndpoint?
    /// Extra settings read the same way (`MCPK_SANDBOX`, `MCPK_MAX_CONCURRENT_STEPS`, `MCPK_RUN_LEASE_MS`, `MCPK_NOTEBOOK_DIR`, …).
    /// The kernel reads every `MCPK_*` setting here, never from the process environment.
    public var settings: [String: String]
    /// Where each set value came from (names absent here are at their defaults).
    public var sources: [String: KernelSetting.Source] = [:]

    /// Flag names accepted by `resolve` (the `mcpk serve` options).
    public enum Key: String, CaseIterable {
        case home = "MCPK_HOME"
        case socket = "MCPK_SOCKET"
        case http = "MCPK_HTTP"
        case plugins = "MCPK_PLUGIN_PATH"
        case databaseURL = "DATABASE_URL"
        case token = "MCPK_TOKEN"
        case logLevel = "MCPK_LOG_LEVEL"
        case redisURL = "REDIS_URL"
        case redisHost = "REDIS_HOST"
        case redisPort = "REDIS_PORT"
    }

    /// Resolves the configuration.
    /// - Parameters:
    ///   - flags: values given on the command line, keyed by environment name.
    ///   - environment: the process environment.
    ///   - dotEnv: contents of `.env` (nil if absent); a malformed line is an error naming it.
    ///   - workingDirectory: base for relative paths.
    ///   - bundledPluginDir: the directory holding the bundled plugin libraries.
    public static func resolve(flags: [String: String], environment: [String: String], dotEnv: String?,
                               workingDirectory: String, bundledPluginDir: String?) throws -> KernelConfiguration {
        var fromFile: [String: String] = [:]
        if let dotEnv {
            do {
                for (k, v) in try DotEnv.parse(dotEnv) { fromFile[k] = v }
            } catch let e as DotEnv.Error {
                throw KernelError.invalidParams(e.description)
            }
        }
        func lookup(_ key: String) -> String? {
            if let v = flags[key] { return v }
            if let v = environment[key] { return v }
            return fromFile[key]
        }
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : (workingDirectory.hasSuffix("/") ? workingDirectory + p : workingDirectory + "/" + p)
        }
        let home = absolute(lookup(Key.home.rawValue).flatMap { $0.isEmpty ? nil : $0 } ?? ".mcpk")
        let socketPath = absolute(lookup(Key.socket.rawValue).flatMap { $0.isEmpty ? nil : $0 } ?? home + "/mcpk.sock")
        let http = lookup(Key.http.rawValue) ?? defaultHTTPAddress
        var pluginDirs: [String]
        if let p = lookup(Key.plugins.rawValue) {
            pluginDirs = p.split(separator: ":").map { absolute(String($0)) }
        } else {
            pluginDirs = [bundledPluginDir, home + "/plugins"].compactMap { $0 }
        }
        pluginDirs = pluginDirs.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        var databaseURL = lookup(Key.databaseURL.rawValue) ?? "sqlite://\(home)/mcpk.db"
        if databaseURL.isEmpty { databaseURL = "sqlite://\(home)/mcpk.db" }
        let token = lookup(Key.token.rawValue).flatMap { $0.isEmpty ? nil : $0 }
        let logLevel = lookup(Key.logLevel.rawValue) ?? "info"
        var settings: [String: String] = [:]
        var sources: [String: KernelSetting.Source] = [:]
        func counts(_ k: String) -> Bool { k.hasPrefix("MCPK_") || k == Key.databaseURL.rawValue }
        for (k, v) in fromFile where counts(k) { settings[k] = v; sources[k] = .dotEnv }
        for (k, v) in environment where counts(k) { settings[k] = v; sources[k] = .env }
        for (k, v) in flags { settings[k] = v; sources[k] = .flag }
        settings[Key.databaseURL.rawValue] = nil
        var config = KernelConfiguration(home: home, socketPath: socketPath, httpAddress: http, pluginDirs: pluginDirs,
                                         databaseURL: databaseURL, token: token, logLevel: logLevel, settings: settings)
        config.sources = sources
        config.redis = try resolveRedis(url: lookup(Key.redisURL.rawValue), host: lookup(Key.redisHost.rawValue),
                                        port: lookup(Key.redisPort.rawValue))
        try config.check()
        return config
    }

    /// `REDIS_URL` wins over `REDIS_HOST`/`REDIS_PORT`; empty values count as unset; a `REDIS_PORT`
    /// without a host is an error rather than ignored.
    static func resolveRedis(url: String?, host: String?, port: String?) throws -> RedisEndpoint? {
        func nonEmpty(_ v: String?) -> String? { v.flatMap { $0.isEmpty ? nil : $0 } }
        if let url = nonEmpty(url) { return try RedisEndpoint.parse(url: url) }
        if let host = nonEmpty(host) { return try RedisEndpoint.from(host: host, port: nonEmpty(port)) }
        if let port = nonEmpty(port) {
            throw KernelError.invalidParams("REDIS_PORT is set (\(port)) but REDIS_HOST and REDIS_URL are not: set REDIS_HOST too")
        }
        return nil
    }

    /// One row of `mcpk config`: a setting, its effective value (secrets as `***`) and its source.
    public struct Effective: Sendable, Equatable {
        public let name: String
        public let value: String
        public let source: KernelSetting.Source
    }

    /// Every known setting and every other `MCPK_*` one that is set, by name: the effective value
    /// and where it came from. Secrets (`MCPK_TOKEN`, names with TOKEN/SECRET/PASSWORD/KEY, a
    /// password in `DATABASE_URL`) are redacted.
    public func effectiveSettings() -> [Effective] {
        var known = Dictionary(uniqueKeysWithValues: KernelSetting.all.map { ($0.name, $0) })
        for name in sources.keys where known[name] == nil { known[name] = KernelSetting(name, default: "") }
        return known.keys.sorted().compactMap { name in
            guard let setting = known[name] else { return nil }
            guard let source = sources[name] else { return Effective(name: name, value: setting.defaultValue, source: .default) }
            let raw: String
            switch name {
            case Key.home.rawValue: raw = home
            case Key.socket.rawValue: raw = socketPath
            case Key.http.rawValue: raw = httpAddress
            case Key.plugins.rawValue: raw = pluginDirs.joined(separator: ":")
            case Key.databaseURL.rawValue: raw = redactedDatabaseURL
            case Key.token.rawValue: raw = token ?? ""
            case Key.logLevel.rawValue: raw = logLevel
            default: raw = settings[name] ?? ""
            }
            let upper = name.uppercased()
            let secret = setting.secret || ["TOKEN", "SECRET", "PASSWORD", "KEY"].contains { upper.contains($0) }
            return Effective(name: name, value: secret && !raw.isEmpty ? "***" : raw, source: source)
        }
    }

    /// The HTTP host and port, or nil when disabled.
    public var httpEndpoint: (host: String, port: Int)? {
        guard !httpAddress.isEmpty, httpAddress != "off" else { return nil }
        guard let colon = httpAddress.lastIndex(of: ":"), let port = Int(httpAddress[httpAddress.index(after: colon)...])
        else { return nil }
        var host = String(httpAddress[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }

    public var httpIsLoopback: Bool {
        guard let ep = httpEndpoint else { return true }
        return ep.host == "localhost" || ep.host == "::1" || ep.host.hasPrefix("127.")
    }

    /// Refuses unsafe or malformed settings.
    public func check() throws {
        if !httpAddress.isEmpty, httpAddress != "off" {
            guard let ep = httpEndpoint, (0...65535).contains(ep.port) else {
                throw KernelError.invalidParams("MCPK_HTTP must be host:port (got '\(httpAddress)')")
            }
            if !httpIsLoopback && token == nil {
                throw KernelError.forbidden("MCPK_HTTP \(httpAddress) is not loopback: set MCPK_TOKEN to serve it")
            }
        }
        if !(databaseURL.hasPrefix("sqlite://") || databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://")) {
            throw KernelError.invalidParams("DATABASE_URL must start with sqlite:// or postgres:// (got '\(databaseURL)')")
        }
        _ = try retentionPolicy()
        if socketPath.utf8.count >= 108 {
            throw KernelError.invalidParams("socket path is too long for a Unix socket (\(socketPath.utf8.count) bytes, max 107): \(socketPath)")
        }
    }

    /// `MCPK_RETENTION` (default: keep everything).
    public func retentionPolicy() throws -> RetentionPolicy {
        guard let raw = settings[RetentionPolicy.variable], !raw.isEmpty else { return RetentionPolicy() }
        return try RetentionPolicy.parse(raw)
    }

    /// Store kind for status output.
    public var storeKind: String { databaseURL.hasPrefix("sqlite://") ? "sqlite" : "postgres" }

    /// The database URL with any password replaced by `***`.
    public var redactedDatabaseURL: String {
        guard let at = databaseURL.firstIndex(of: "@"), let scheme = databaseURL.firstRange(of: "://") else { return databaseURL }
        let userinfo = databaseURL[scheme.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return databaseURL }
        return String(databaseURL[..<colon]) + ":***" + String(databaseURL[at...])
    }

    /// The process environment as a dictionary.
    public static func processEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    /// The directory of the running executable (`/proc/self/exe`, symlinks resolved).
    public static func executableDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let path = String(nulTerminated: buf)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return "." }
        return String(nulTerminated: buf)
    }

    /// Contents of a small text file, or nil.
    public static func readFile(_ path: String) -> String? { KernelLoop.readFile(path) }
}
