import ArgumentParser
import Glibc
import KernelCore

/// `mcpk shutdown`: asks the kernel to stop and waits until its socket is gone.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shutdown", abstract: "Stop the running kernel gracefully.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let client = try options.connect()
        _ = options.call(client, "kernel.shutdown")
        // Wait (bounded) for the kernel to close the connection.
        _ = try? client.readMessage()
        if options.json { CLI.print(#"{"stopped":true}"#) } else { CLI.print("kernel stopped") }
    }
}
