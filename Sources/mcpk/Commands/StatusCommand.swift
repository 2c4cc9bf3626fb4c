import ArgumentParser
import KernelCore

/// `mcpk status`: the kernel's status.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the running kernel's status.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let client = try options.connect()
        let s = options.call(client, "kernel.status")
        if options.json { CLI.print(s.pretty()); return }
        let uptime = s["uptime_seconds"]?.doubleValue ?? 0
        var lines = [
            "mcpk \(CLI.cell(s["version"])) running (pid \(CLI.cell(s["pid"])), up \(StatusCommand.duration(uptime)))",
            "  home:        \(CLI.cell(s["home"]))",
            "  socket:      \(CLI.cell(s["socket"]))",
            "  http:        \(StatusCommand.httpAddress(s["http"]).map { "http://\($0)/" } ?? "off")",
            "  store:       \(CLI.cell(s["store"]?["kind"])) (\(CLI.cell(s["store"]?["url"])))",
            "  plugin dirs: \((s["plugin_dirs"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ":"))",
            "  connections: \(CLI.cell(s["connections"]?["socket"])) socket"
                + (s["http"]?["connections"]?.intValue.map { ", \($0) http" } ?? ""),
        ]
        if let rss = s["rss_bytes"]?.intValue { lines.append("  memory:      \(rss / 1024 / 1024) MiB resident") }
        CLI.print(lines.joined(separator: "\n"))
    }

    /// The shim's address: the HTTP section's `address` (or a plain string), nil when off.
    static func httpAddress(_ v: JSON?) -> String? {
        if let a = v?["address"]?.stringValue { return a }
        return v?.stringValue
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\((s % 3600) / 60)m"
    }
}
