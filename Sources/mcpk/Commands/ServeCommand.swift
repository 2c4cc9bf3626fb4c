import ArgumentParser
import CKernelSupport
import Glibc
import KernelCore
import KernelEngine
import KernelLoop
import KernelServer
import Logging

/// `mcpk serve`: runs the kernel in the foreground until SIGINT/SIGTERM or `kernel.shutdown`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the kernel in the foreground.")

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

    func run() throws {
        // Threads inherit this mask: clear it before the loop thread starts.
        mcpk_unblock_all_signals()
        var flags: [String: String] = [:]
        if let home { flags["MCPK_HOME"] = home }
        if let socket { flags["MCPK_SOCKET"] = socket }
        if let http { flags["MCPK_HTTP"] = http }
        if let plugins { flags["MCPK_PLUGIN_PATH"] = plugins }
        if let databaseURL { flags["DATABASE_URL"] = databaseURL }
        if let token { flags["MCPK_TOKEN"] = token }
        let cwd = KernelConfiguration.currentDirectory()
        let config: KernelConfiguration
        do {
            config = try KernelConfiguration.resolve(
                flags: flags, environment: KernelConfiguration.processEnvironment(),
                dotEnv: KernelConfiguration.readFile(cwd + "/.env"), workingDirectory: cwd,
                bundledPluginDir: KernelConfiguration.executableDirectory())
        } catch let e as KernelError {
            CLI.fail(e.message)
        }
        let level = Logger.Level(rawValue: config.logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "mcpk")
        final class Outcome: @unchecked Sendable {
            var error: String?
            let done = ConditionLock()
            var finished = false
        }
        let outcome = Outcome()
        Task { @KernelActor in
            let kernel = Kernel(configuration: config, logger: logger)
            do {
                try await kernel.start()
                if let url = kernel.consoleURL { CLI.print("console at \(url)") }
                await kernel.waitUntilStopped()
                if let drain = kernel.drainReport { CLI.print(drain.summary) }
            } catch let e as KernelError {
                outcome.error = e.message
                await kernel.shutdown()
            } catch {
                outcome.error = "\(error)"
                await kernel.shutdown()
            }
            outcome.done.withLock {
                outcome.finished = true
                outcome.done.signal()
            }
        }
        outcome.done.lock()
        while !outcome.finished { outcome.done.wait() }
        outcome.done.unlock()
        KernelRuntime.executor.stopWhenIdle()
        if let error = outcome.error { CLI.fail(error) }
    }
}
