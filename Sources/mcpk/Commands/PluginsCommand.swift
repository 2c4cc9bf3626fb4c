import ArgumentParser
import Glibc
import KernelCore

/// `mcpk plugins list|load|unload|reload|call`.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List, load, unload and reload plugins; call their extra operations.",
        subcommands: [List.self, Load.self, Unload.self, Reload.self, Call.self], defaultSubcommand: List.self)

    static func show(_ options: ClientOptions, _ p: JSON) {
        if options.json { CLI.print(p.pretty()); return }
        var lines = ["\(CLI.cell(p["name"])) \(CLI.cell(p["version"])) [\(CLI.cell(p["state"]))] \(CLI.cell(p["isolation"])) ABI \(CLI.cell(p["abi"]))",
                     "  path: \(CLI.cell(p["path"]))"]
        if let e = p["load_error"], !e.isNull { lines.append("  load error: \(CLI.cell(e["reason"])): \(CLI.cell(e["message"]))") }
        if let c = p["last_crash"], !c.isNull { lines.append("  last crash: \(CLI.cell(c)) (\(CLI.cell(p["crashes"])) total)") }
        CLI.print(lines.joined(separator: "\n"))
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every plugin with its state and load error.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "plugin.list")
            if options.json { CLI.print(r.pretty()); return }
            let rows = (r["items"]?.arrayValue ?? []).map { p -> [String] in
                let kinds = (p["kinds"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
                var state = CLI.cell(p["state"])
                if let e = p["load_error"], !e.isNull { state += " (\(CLI.cell(e["reason"])): \(CLI.cell(e["message"])))" }
                if let c = p["last_crash"], !c.isNull { state += " (crashes: \(CLI.cell(p["crashes"])), last: \(CLI.cell(c)))" }
                return [CLI.cell(p["name"]), CLI.cell(p["version"]), kinds, CLI.cell(p["abi"]), CLI.cell(p["isolation"]),
                        CLI.cell(p["path"]), state]
            }
            CLI.print(CLI.table(["NAME", "VERSION", "KINDS", "ABI", "ISOLATION", "PATH", "STATE"], rows))
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "load", abstract: "Load a plugin library by path.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Path of the .so") var path: String
        @Option(help: "in-process or process") var isolation: String?
        func run() throws {
            var params = JSONObject([("path", .string(CLI.absolutePath(path)))])
            if let isolation { params["isolation"] = .string(isolation) }
            let client = try options.connect()
            PluginsCommand.show(options, options.call(client, "plugin.load", .object(params)))
        }
    }

    struct Unload: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unload", abstract: "Unload a plugin by name.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Flag(help: "Close its open connections first.") var force = false
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "plugin.unload", ["name": .string(name), "force": .bool(force)])
            CLI.print(options.json ? r.pretty() : "unloaded \(name)")
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reload", abstract: "Reload a plugin from its path.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Flag(help: "Close its open connections first.") var force = false
        func run() throws {
            let client = try options.connect()
            PluginsCommand.show(options, options.call(client, "plugin.reload", ["name": .string(name), "force": .bool(force)]))
        }
    }

    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "call", abstract: "Call a plugin's extra operation: mcpk plugins call testops repeat '[\"ab\", 3]'.")
        @OptionGroup var options: ClientOptions
        @Argument var plugin: String
        @Argument var op: String
        @Argument(help: "Arguments as a JSON array") var args: String = "[]"
        func run() throws {
            let parsed: JSON
            do { parsed = try JSONParser.parse(args) } catch { CLI.fail("args must be a JSON array") }
            let client = try options.connect()
            let r = options.call(client, "plugin.call", ["plugin": .string(plugin), "op": .string(op), "args": parsed])
            CLI.print(options.json ? r.pretty() : CLI.cell(r["result"]))
        }
    }
}

extension CLI {
    static func absolutePath(_ p: String) -> String {
        if p.hasPrefix("/") { return p }
        var buf = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buf, 4096) != nil else { return p }
        return String(nulTerminated: buf) + "/" + p
    }
}
