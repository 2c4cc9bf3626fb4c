import ArgumentParser
import KernelCore

/// `mcpk secrets set|list|delete NAME` and `mcpk vars set|list|delete NAME`: workspace secrets
/// (`${secrets.NAME}`; the value comes from stdin or a file, never argv, and is never echoed)
/// and plain variables (`${vars.NAME}`).
struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Workspace secrets (${secrets.NAME}): sealed at rest, values write-only.",
        subcommands: [Set.self, List.self, Delete.self], defaultSubcommand: List.self)

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Create or replace a secret; the value is read from stdin (or --file), one trailing newline dropped.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Secret name") var name: String
        @Option(name: .shortAndLong, help: "Read the value from this file instead of stdin ('-' = stdin).") var file: String = "-"
        func run() throws {
            var value = CLI.readTextFile(file)
            if value.hasSuffix("\r\n") { value.removeLast(2) } else if value.hasSuffix("\n") { value.removeLast() }
            guard !value.isEmpty else { CLI.fail("the secret's value is empty (pipe it on stdin or give --file)") }
            let client = try options.connect()
            let r = options.call(client, "secret.set", ["name": .string(name), "value": .string(value)])
            CLI.print(options.json ? r.pretty() : "\(r["created"] == true ? "created" : "replaced") secret \(CLI.cell(r["name"]))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every secret (names and times, never values).")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "secret.list", [:])
            if options.json { CLI.print(r.pretty()); return }
            CLI.print(CLI.table(["NAME", "UPDATED"], (r["items"]?.arrayValue ?? []).map { [CLI.cell($0["name"]), CLI.cell($0["updated_at"])] }))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a secret.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Secret name") var name: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "secret.delete", ["name": .string(name)])
            CLI.print(options.json ? r.pretty() : "deleted secret \(CLI.cell(r["name"]))")
        }
    }
}
