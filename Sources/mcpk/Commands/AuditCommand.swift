import ArgumentParser
import KernelCore

/// `mcpk audit [--entity TYPE/ID] [--action A] [--limit N] [--cursor C]`: the audit trail, newest first.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show audit log entries, newest first.")
    @OptionGroup var options: ClientOptions

    @Option(help: "Only entries about this entity: TYPE or TYPE/ID (e.g. component/1f0c…).")
    var entity: String?

    @Option(help: "Only this action type (create, update, delete, …).")
    var action: String?

    @Option(help: "Number of entries (1-1000).")
    var limit: Int = 50

    @Option(help: "The next page: the `more: --cursor` value of the previous one.")
    var cursor: String?

    func run() throws {
        var params = JSONObject()
        if let entity {
            let parts = entity.split(separator: "/", maxSplits: 1).map(String.init)
            if let t = parts.first { params["entity_type"] = .string(t) }
            if parts.count == 2 { params["entity_id"] = .string(parts[1]) }
        }
        if let action { params["action_type"] = .string(action) }
        params["limit"] = JSON(limit)
        if let cursor { params["cursor"] = .string(cursor) }
        let client = try options.connect()
        let result = options.call(client, "audit.list", .object(params))
        if options.json { CLI.print(result.pretty()); return }
        let rows = (result["items"]?.arrayValue ?? []).map { e -> [String] in
            [CLI.cell(e["at"]), CLI.cell(e["actor"]), CLI.cell(e["action_type"]),
             "\(CLI.cell(e["entity_type"]))/\(CLI.cell(e["entity_id"]))", CLI.cell(e["details"])]
        }
        CLI.print(CLI.table(["AT", "ACTOR", "ACTION", "ENTITY", "DETAILS"], rows))
        if let next = result["next_cursor"]?.stringValue { CLI.print("(more: --cursor \(next))") }
    }
}
