import ArgumentParser
import Glibc
import KernelClient
import KernelCore

/// `mcpk runtime install|status|gc`: the step runtimes the kernel provisions itself
/// (the Python venv of notebook/Streamlit/MCP steps, Debian's node + esbuild).
struct RuntimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime", abstract: "Install, inspect and clean up the step runtimes under $MCPK_HOME/runtimes.",
        subcommands: [Status.self, Install.self, GC.self], defaultSubcommand: Status.self)

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Every runtime: state, versions, size, path, pins.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "runtime.status")
            if options.json { CLI.print(r.pretty()); return }
            RuntimeCommand.printTable(r["items"]?.arrayValue ?? [])
            CLI.print("auto install: \(r["auto_install"] == .bool(true) ? "on" : "off (MCPK_RUNTIME_AUTO_INSTALL=0)")"
                      + "   pip cache: \(CLI.cell(r["pip_cache"]))")
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install",
                                                        abstract: "Build the Python runtime (pinned PyPI packages) and check the Node runtime, with a progress bar.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "python or node (default: both).") var name: String?
        @Flag(help: "Rebuild a runtime that is up to date.") var force = false
        @Flag(name: .shortAndLong, help: "Print pip's output too.") var verbose = false
        func run() throws {
            var params = JSONObject([("force", .bool(force))])
            if let name { params["name"] = .string(name) }
            let client = try options.connect()
            let reply: JSON
            do {
                reply = try RuntimeCommand.callShowingEvents(client, .object(params), options: options, verbose: verbose)
            } catch {
                CLI.fail("\(error)")
            }
            if options.json { CLI.print(reply.pretty()); return }
            RuntimeCommand.printTable(reply["items"]?.arrayValue ?? [])
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc",
                                                        abstract: "Remove requirement venvs no component version references and stale runtimes.")
        @OptionGroup var options: ClientOptions
        @Flag(help: "Only list what would be removed.") var dryRun = false
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "runtime.gc", ["dry_run": .bool(dryRun)])
            if options.json { CLI.print(r.pretty()); return }
            let removed = r["removed"]?.arrayValue ?? []
            for e in removed {
                CLI.print("\(dryRun ? "would remove" : "removed") \(CLI.cell(e["path"])) (\(CLI.bytes(e["size_bytes"]?.intValue ?? 0))): \(CLI.cell(e["reason"]))")
            }
            let freed = CLI.bytes(r["freed_bytes"]?.intValue ?? 0)
            CLI.print("\(removed.count) \(dryRun ? "to remove" : "removed"), \(freed) \(dryRun ? "to free" : "freed"), "
                      + "\(r["kept"]?.arrayValue?.count ?? 0) venvs kept")
        }
    }

    static func printTable(_ items: [JSON]) {
        let rows = items.map { r -> [String] in
            let versions = (r["versions"]?.objectValue ?? JSONObject()).map { "\($0.key) \(CLI.cell($0.value))" }.joined(separator: ", ")
            var pins = "-"
            if let p = r["pins"], !p.isNull {
                let want = p["sha256"]?.stringValue.map { String($0.prefix(12)) } ?? "?"
                let got = p["installed_sha256"]?.stringValue.map { String($0.prefix(12)) } ?? "none"
                pins = want == got ? want : "\(got) (pins \(want))"
            }
            return [CLI.cell(r["name"]), CLI.cell(r["state"]), CLI.bytes(r["size_bytes"]?.intValue ?? 0), pins,
                    versions.isEmpty ? "-" : versions, CLI.cell(r["path"])]
        }
        CLI.print(CLI.table(["NAME", "STATE", "SIZE", "PINS", "VERSIONS", "PATH"], rows))
        for r in items { if let e = r["last_error"]?.stringValue { CLI.print("\(CLI.cell(r["name"])): last build failed: \(e)") } }
    }

    /// Calls `runtime.install` and renders its `runtime.event` notifications while it runs: one
    /// progress bar redrawn in place on a terminal (a line per change otherwise), kernel lines,
    /// and pip's lines with `verbose`.
    static func callShowingEvents(_ client: ControlClient, _ params: JSON, options: ClientOptions, verbose: Bool) throws -> JSON {
        let id = try client.send(method: "runtime.install", params: params)
        let tty = isatty(1) == 1 && !options.json
        var barShown = false
        func clearBar() { if barShown { CLI.writeRaw("\r\u{1B}[K"); barShown = false } }
        while true {
            guard let msg = try client.readMessage() else { throw ControlClient.ClientError.closed }
            if msg["method"] == "runtime.event" {
                guard !options.json else { continue }
                let name = msg["params"]?["runtime"]?.stringValue ?? "?"
                let e = msg["params"]?["event"] ?? .null
                switch e["type"]?.stringValue {
                case "progress":
                    let line = "\(name) \(CLI.progressBar(e["fraction"]?.doubleValue))" + (e["message"]?.stringValue.map { " \($0)" } ?? "")
                    if tty {
                        CLI.writeRaw("\r\u{1B}[K" + String(line.prefix(RuntimeCommand.maxBarLine)))
                        barShown = true
                    } else {
                        CLI.print(line)
                    }
                case "log":
                    let stream = e["stream"]?.stringValue ?? ""
                    guard stream == "kernel" || verbose || stream == "pip-stderr" else { continue }
                    clearBar()
                    CLI.print("\(name): \(e["line"]?.stringValue ?? "")")
                default: continue
                }
                continue
            }
            guard msg["id"]?.intValue == id else { continue }
            clearBar()
            return try ControlClient.unwrap(msg)
        }
    }

    /// Longest progress line redrawn on a terminal.
    static let maxBarLine = 100
}
