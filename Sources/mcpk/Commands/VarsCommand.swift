import ArgumentParser
import KernelCore

/// `mcpk vars set NAME VALUE | list | delete NAME`: plain workspace variables (`${vars.NAME}`).
struct VarsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vars", abstract: "Workspace variables (${vars.NAME}): plain text values any reference may read.",
        subcommands: [Set.self, List.self, Delete.self], defaultSubcommand: List.self)

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Create or replace a variable.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Variable name") var name: String
        @Argument(help: "Value") var value: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "var.set", ["name": .string(name), "value": .string(value)])
            CLI.print(options.json ? r.pretty() : "\(r["created"] == true ? "created" : "replaced") variable \(CLI.cell(r["name"]))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every variable with its value.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "var.list", [:])
            if options.json { CLI.print(r.pretty()); return }
            CLI.print(CLI.table(["NAME", "VALUE", "UPDATED"], (r["items"]?.arrayValue ?? []).map {
                [CLI.cell($0["name"]), CLI.cell($0["value"]), CLI.cell($0["updated_at"])]
            }))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a variable.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Variable name") var name: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "var.delete", ["name": .string(name)])
            CLI.print(options.json ? r.pretty() : "deleted variable \(CLI.cell(r["name"]))")
        }
    }
}
