import ArgumentParser
import KernelCore

/// `mcpk cluster status`: the kernels sharing this kernel's store (`cluster.status`).
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Kernels sharing one store (several kernels on one PostgreSQL).",
        subcommands: [Status.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "List the kernels on the store: id, host, version, last heartbeat, running steps, capacity.")
        @OptionGroup var options: ClientOptions

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "cluster.status")
            if options.json { CLI.print(r.pretty()); return }
            let rows: [[String]] = (r["kernels"]?.arrayValue ?? []).map { k in
                [CLI.cell(k["id"]) + (k["self"]?.boolValue == true ? " *" : ""), CLI.cell(k["host"]), CLI.cell(k["version"]),
                 CLI.cell(k["last_heartbeat"]), CLI.cell(k["running_steps"]), CLI.cell(k["capacity"]), CLI.cell(k["active_runs"]),
                 k["alive"]?.boolValue == true ? "alive" : CLI.cell(k["state"]) == "stopped" ? "stopped" : "silent"]
            }
            CLI.print("store: \(CLI.cell(r["store"])), shared queue: \(r["shared_queue"]?.boolValue == true ? "yes" : "no"), "
                      + "lease \(CLI.cell(r["lease_ms"])) ms")
            CLI.print(CLI.table(["KERNEL", "HOST", "VERSION", "LAST HEARTBEAT", "RUNNING", "CAPACITY", "RUNS", "STATE"], rows))
        }
    }
}
