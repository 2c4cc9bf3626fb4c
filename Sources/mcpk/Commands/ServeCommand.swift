import ArgumentParser
import CKernelSupport
import Glibc
import KernelCore
import KernelEngine
import KernelLoop
import KernelServer
import KernelServices
import Logging

/// `mcpk serve`: runs the kernel in the foreground until SIGINT/SIGTERM or `kernel.shutdown`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the kernel in the foreground.")

    @OptionGroup var options: KernelOptions

    func run() throws {
        // Threads inherit this mask: clear it before the loop thread starts.
        mcpk_unblock_all_signals()
        let config: KernelConfiguration
        do {
            config = try options.resolve()
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
