import ArgumentParser
import KernelCore
import KernelServer
import KernelServices

/// The settings `mcpk serve` takes as flags (the highest precedence: flags > environment >
/// `.env` > defaults); `mcpk config` takes the same ones, so it shows what serve would use.
struct KernelOptions: ParsableArguments {
    @Option(help: "Kernel home: data, socket, artifacts (MCPK_HOME; default ./.mcpk).")
    var home: String?
    @Option(help: "Control socket path (MCPK_SOCKET; default $MCPK_HOME/mcpk.sock).")
    var socket: String?
    @Option(help: "HTTP shim address host:port, or 'off' (MCPK_HTTP; default 127.0.0.1:8470).")
    var http: String?
    @Option(help: "Plugin directories, ':'-separated (MCPK_PLUGIN_PATH).")
    var plugins: String?
    @Option(name: .customLong("database-url"), help: "sqlite://PATH or postgres://… (DATABASE_URL).")
    var databaseURL: String?
    @Option(help: "API token; required when --http is not loopback (MCPK_TOKEN).")
    var token: String?

    /// The flags given, keyed by setting name.
    var flags: [String: String] {
        var flags: [String: String] = [:]
        if let home { flags[KernelConfiguration.Key.home.rawValue] = home }
        if let socket { flags[KernelConfiguration.Key.socket.rawValue] = socket }
        if let http { flags[KernelConfiguration.Key.http.rawValue] = http }
        if let plugins { flags[KernelConfiguration.Key.plugins.rawValue] = plugins }
        if let databaseURL { flags[KernelConfiguration.Key.databaseURL.rawValue] = databaseURL }
        if let token { flags[KernelConfiguration.Key.token.rawValue] = token }
        return flags
    }

    /// Resolves the configuration exactly as `mcpk serve` does (the `.env` of the working directory).
    func resolve() throws -> KernelConfiguration {
        let cwd = KernelConfiguration.currentDirectory()
        return try KernelConfiguration.resolve(
            flags: flags, environment: KernelConfiguration.processEnvironment(),
            dotEnv: KernelConfiguration.readFile(cwd + "/.env"), workingDirectory: cwd,
            bundledPluginDir: KernelConfiguration.executableDirectory())
    }
}
