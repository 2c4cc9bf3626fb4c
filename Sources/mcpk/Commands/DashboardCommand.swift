import ArgumentParser
import KernelCore

/// `mcpk dashboard`: the console's summary and health, as text.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Show run counts, totals, success rate, health and recent activity.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let client = try options.connect()
        let s = options.call(client, "dashboard.summary")
        let h = options.call(client, "dashboard.health")
        if options.json { CLI.print((["summary": s, "health": h] as JSON).pretty()); return }
        let rate = s["success_rate_7d"]?.doubleValue.map { "\(Int(($0 * 100).rounded()))%" } ?? "-"
        var lines = [
            "runs:        \(CLI.cell(s["active_runs"])) active, \(CLI.cell(s["queued_runs"])) queued, "
                + "\(CLI.cell(s["completed_today"])) completed today, \(CLI.cell(s["failed_today"])) failed today",
            "totals:      \(CLI.cell(s["total_components"])) components, \(CLI.cell(s["total_workflows"])) workflows, "
                + "\(CLI.cell(s["total_runs"])) runs, \(CLI.cell(s["total_connections"])) connections",
            "success 7d:  \(rate)",
            "health:      \(CLI.cell(h["status"])) — store \(CLI.cell(h["store"]?["kind"])) "
                + "(\(h["store"]?["latency_ms"]?.doubleValue.map { String(format3($0)) + " ms" } ?? CLI.cell(h["store"]?["error"])))"
                + ", version \(CLI.cell(h["version"])), up \(StatusCommand.duration(h["uptime_seconds"]?.doubleValue ?? 0))",
        ]
        let recent = (s["recent_activity"]?.arrayValue ?? []).map { e -> [String] in
            [CLI.cell(e["at"]), CLI.cell(e["actor"]), CLI.cell(e["action_type"]), "\(CLI.cell(e["entity_type"]))/\(CLI.cell(e["entity_id"]))"]
        }
        if !recent.isEmpty {
            lines.append("")
            lines.append("recent activity:")
            lines.append(CLI.table(["AT", "ACTOR", "ACTION", "ENTITY"], recent))
        }
        CLI.print(lines.joined(separator: "\n"))
    }
}

/// Three decimals without Foundation.
private func format3(_ v: Double) -> String {
    let scaled = Int64((v * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
