import ArgumentParser
import KernelCore

/// `mcpk schedules create|list|get|pause|resume|delete`.
struct SchedulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules", abstract: "Schedules: cron expressions (with a time zone) that start workflow runs.",
        subcommands: [Create.self, List.self, Get.self, Pause.self, Resume.self, Delete.self], defaultSubcommand: List.self)

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a schedule for a workflow.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "Workflow id or name") var workflow: String
        @Option(help: "Cron: 5 fields, 6 with leading seconds, or @hourly/@daily/…") var cron: String
        @Option(help: "IANA time zone (default UTC)") var timezone: String?
        @Option(name: [.short, .customLong("input")], help: "An input as key=value (value parsed as JSON when it parses)") var input: [String] = []
        @Option(help: "none | last | all") var catchup: String?
        @Option(help: "skip | queue | cancel-previous") var overlap: String?
        @Option(help: "Pin a workflow version") var version: Int?
        func run() throws {
            var params = JSONObject([("name", .string(name)), ("workflow", .string(workflow)), ("cron", .string(cron))])
            if let timezone { params["timezone"] = .string(timezone) }
            if let catchup { params["catchup"] = .string(catchup) }
            if let overlap { params["overlap"] = .string(overlap) }
            if let version { params["version"] = .int(Int64(version)) }
            if !input.isEmpty {
                var inputs = JSONObject()
                for kv in input {
                    guard let eq = kv.firstIndex(of: "=") else { CLI.fail("--input must be key=value (got '\(kv)')") }
                    let v = String(kv[kv.index(after: eq)...])
                    inputs[String(kv[..<eq])] = (try? JSONParser.parse(v)) ?? .string(v)
                }
                params["inputs"] = .object(inputs)
            }
            let client = try options.connect()
            let r = options.call(client, "schedule.create", .object(params))
            CLI.print(options.json ? r.pretty() : "created \(CLI.cell(r["name"])) (\(CLI.cell(r["id"]))): next run at \(CLI.cell(r["next_fire_at"]))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every schedule with its next fire time.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "schedule.list", ["limit": .int(500)])
            if options.json { CLI.print(r.pretty()); return }
            let rows = (r["items"]?.arrayValue ?? []).map {
                [CLI.cell($0["name"]), CLI.cell($0["cron"]), CLI.cell($0["timezone"]), CLI.cell($0["state"]), CLI.cell($0["next_fire_at"]),
                 CLI.cell($0["id"])]
            }
            CLI.print(CLI.table(["NAME", "CRON", "TIMEZONE", "STATE", "NEXT", "ID"], rows))
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "One schedule with its recent ticks and runs.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Schedule id or name") var id: String
        func run() throws {
            let client = try options.connect()
            CLI.print(options.call(client, "schedule.get", ["id": .string(id)]).pretty())
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a schedule.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "schedule.pause", ["id": .string(id)])
            CLI.print(options.json ? r.pretty() : "paused \(CLI.cell(r["name"]))")
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a schedule from now.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "schedule.resume", ["id": .string(id)])
            CLI.print(options.json ? r.pretty() : "resumed \(CLI.cell(r["name"])): next run at \(CLI.cell(r["next_fire_at"]))")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a schedule.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "schedule.delete", ["id": .string(id)])
            CLI.print(options.json ? r.pretty() : "deleted \(CLI.cell(r["id"]))")
        }
    }
}
